// `runtime-guard serve` as a process: it starts on the development certificate, takes load from
// several keep-alive connections, and on SIGTERM answers everything it was sent and exits 0.
// The clients stop sending once /readyz fails, as the apiserver does once endpoints drop the pod.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiserverAgent, httpsCall, podReview, startServe, waitFor } from './support.ts';

test(
  'serve answers every review sent before and during SIGTERM, then exits 0',
  { timeout: 60_000 },
  async (t) => {
    const { port, ca, logLines, exited, stderr, child } = await startServe(
      t,
      'server:\n  host: 127.0.0.1\n  port: 0\n  shutdown:\n    drainSeconds: 1\n    timeoutSeconds: 10\n',
    );
    assert.match(
      stderr(),
      /curl --cacert \.dev-certs\/ca\.crt -H 'Content-Type: application\/json' --data @examples\/admission-review-pod\.json https:\/\/127\.0\.0\.1:\d+\/validate/,
    );

    const sent: string[] = [];
    const answered = new Set<string>();
    const failures: string[] = [];
    const worker = async (id: number) => {
      const agent = apiserverAgent(ca);
      try {
        for (let i = 0; ; i += 1) {
          const uid = `w${id}-${i}`;
          sent.push(uid);
          try {
            const answer = await httpsCall({
              agent,
              port,
              path: '/validate?timeout=10s',
              body: JSON.stringify(podReview({ uid, privileged: i % 2 === 0 })),
            });
            const answeredUid =
              answer.statusCode === 200 ? JSON.parse(answer.body).response.uid : undefined;
            if (answeredUid === uid) answered.add(uid);
            else failures.push(`${uid}: ${answer.statusCode} ${answer.body}`);
          } catch (error) {
            failures.push(`${uid}: ${(error as Error).message}`);
            return;
          }
          const ready = await httpsCall({ agent, port, path: '/readyz' });
          if (ready.statusCode !== 200) return;
        }
      } finally {
        agent.destroy();
      }
    };
    const workers = Array.from({ length: 6 }, (_, id) => worker(id));

    // SIGTERM mid-load: once the connections have carried a good number of reviews.
    await waitFor(() => answered.size >= 120 || failures.length > 0);
    assert.ok(child.kill('SIGTERM'));
    await Promise.all(workers);
    const [code, signal] = await exited;

    assert.deepEqual(failures, []);
    assert.equal(answered.size, sent.length, 'every review sent was answered');
    assert.equal(signal, null);
    assert.equal(code, 0, stderr());
    const messages = logLines.map((line) => line['msg']);
    assert.ok(messages.includes('shutting down: readiness is false, draining'));
    assert.equal(messages.at(-1), 'shutdown complete');
    assert.equal(
      logLines.filter((line) => line['msg'] === 'admission review').length,
      sent.length,
      'one decision line per review',
    );
  },
);

test(
  'a decision line reaches standard output soon after a lone review, not at the next batch',
  { timeout: 30_000 },
  async (t) => {
    // Lines are written in batches (4 KiB); a quiet webhook must not sit on the last ones.
    const { port, ca, logLines } = await startServe(t, 'server:\n  host: 127.0.0.1\n  port: 0\n');
    const agent = apiserverAgent(ca);
    t.after(() => agent.destroy());
    const answer = await httpsCall({
      agent,
      port,
      path: '/validate?timeout=10s',
      body: JSON.stringify(podReview({ uid: 'lone-review', privileged: true })),
    });
    assert.equal(answer.statusCode, 200);
    await waitFor(() => logLines.some((line) => line['uid'] === 'lone-review'));
    const line = logLines.find((entry) => entry['uid'] === 'lone-review');
    assert.equal(line?.['msg'], 'admission review');
    assert.equal(line?.['decision'], 'denied');
  },
);
