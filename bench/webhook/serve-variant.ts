/**
 * runtime-guard's server as `runtime-guard serve` starts it (src/server/start-server.ts, same
 * configuration file), but with the decision log sent another way: an experiment to measure what
 * the log costs per review, not a server under test. See log-cost-experiment.ts.
 *
 *   node bench/webhook/serve-variant.ts CONFIG.yaml default|sync|buffered|off
 *
 *   default   pino's own destination, as serve uses it: asynchronous writes to standard output
 *   sync      pino.destination({ sync: true }): one write(2) per line, on the event loop
 *   buffered  pino.destination({ sync: false, minLength: 4096 }): lines gathered into 4 KiB writes
 *   off       level silent: no decision log at all
 */
import { readFile } from 'node:fs/promises';
import { pino, type DestinationStream } from 'pino';
import { parseConfigText } from '../../src/config/load-config.ts';
import { startServer } from '../../src/server/start-server.ts';

const [configFile, mode = 'default'] = process.argv.slice(2);
if (!configFile || !['default', 'sync', 'buffered', 'off'].includes(mode)) {
  process.stderr.write('usage: serve-variant.ts CONFIG.yaml default|sync|buffered|off\n');
  process.exit(2);
}
const text = await readFile(configFile, 'utf8');
const config = parseConfigText(text, configFile);
const destination: DestinationStream | undefined =
  mode === 'sync'
    ? pino.destination({ dest: 1, sync: true })
    : mode === 'buffered'
      ? pino.destination({ dest: 1, sync: false, minLength: 4096 })
      : undefined;
const options = {
  name: 'runtime-guard',
  timestamp: pino.stdTimeFunctions.isoTime,
  level: mode === 'off' ? 'silent' : 'info',
};
const logger = destination ? pino(options, destination) : pino(options);
const server = await startServer({ config, configFile: { path: configFile, text }, logger });
process.once('SIGINT', () => {
  void server.shutdown({ drainSeconds: 0 }).then(() => process.exit(0));
});
