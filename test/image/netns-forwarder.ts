// Run inside a container's network namespace (nsenter --net=...): accepts connections on a
// unix socket, which the test reaches from the host's namespace, and joins each to
// 127.0.0.1:PORT there. The bytes pass through untouched, TLS included.
//
//   node netns-forwarder.ts SOCKET PORT

import { connect, createServer } from 'node:net';

const [socketPath, portText] = process.argv.slice(2);
const port = Number(portText);
if (!socketPath || !Number.isInteger(port)) {
  process.stderr.write('usage: netns-forwarder.ts SOCKET PORT\n');
  process.exit(2);
}

const server = createServer((client) => {
  const upstream = connect(port, '127.0.0.1');
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
});
server.listen(socketPath);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
