/**
 * runtime-guard's server as `runtime-guard serve` starts it (src/server/start-server.ts, same
 * configuration file), but with the decision log sent another way: an experiment to measure what
 * the log costs per review, not a server under test. See variant-experiment.ts.
 *
 *   node bench/webhook/serve-variant.ts CONFIG.yaml default|unbatched|sync|off
 *
 *   default    as serve writes it (createServeLogger): asynchronous writes of 4 KiB batches
 *   unbatched  pino's own destination: an asynchronous write as soon as a line is ready
 *   sync       pino.destination({ sync: true }): one write(2) per line, on the event loop
 *   off        level silent: no decision log at all
 */
import { readFile } from 'node:fs/promises';
import { pino, type Logger } from 'pino';
import { isoTime } from '../../src/cli/log-time.ts';
import { createServeLogger } from '../../src/cli/serve-command.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { startServer } from '../../src/server/start-server.ts';

export const LOG_VARIANTS = ['default', 'unbatched', 'sync', 'off'] as const;
export type LogVariant = (typeof LOG_VARIANTS)[number];

function loggerFor(variant: LogVariant): Logger {
  const options = { name: 'runtime-guard', timestamp: isoTime };
  switch (variant) {
    case 'default':
      return createServeLogger();
    case 'unbatched':
      return pino(options);
    case 'sync':
      return pino(options, pino.destination({ dest: 1, sync: true }));
    case 'off':
      return createServeLogger({ level: 'silent' });
  }
}

if (import.meta.main) {
  const [configFile, variant = 'default'] = process.argv.slice(2);
  if (!configFile || !(LOG_VARIANTS as readonly string[]).includes(variant)) {
    process.stderr.write(`usage: serve-variant.ts CONFIG.yaml ${LOG_VARIANTS.join('|')}\n`);
    process.exit(2);
  }
  const text = await readFile(configFile, 'utf8');
  const config = parseConfigText(text, configFile);
  const logger = loggerFor(variant as LogVariant);
  const server = await startServer({ config, configFile: { path: configFile, text }, logger });
  process.once('SIGINT', () => {
    void server.shutdown({ drainSeconds: 0 }).then(() => process.exit(0));
  });
}
