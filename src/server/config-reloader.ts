/**
 * Configuration reload, all or nothing: when the file changes it is parsed and validated whole;
 * a valid file replaces the policy for the next review, an invalid one is reported and the
 * running configuration stays. The `server:` section is read at start only (ports, TLS files
 * and limits belong to the listening socket), so a change there is reported, not applied.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import {
  ConfigError,
  parseConfigText,
  readConfigFile,
  type RuntimeGuardConfig,
} from '../config/load-config.ts';
import type { ReviewConfig } from '../admission/settings.ts';
import { FileReloader } from './file-reloader.ts';
import type { ReadinessCheck } from './health-routes.ts';
import type { ServerMetrics } from './metrics.ts';
import type { ReloadResult, WatchFilesOptions } from './watch-files.ts';

export class ConfigReloader extends FileReloader {
  readonly #path: string;
  readonly #metrics: ServerMetrics;
  readonly #startupServer: RuntimeGuardConfig['server'];
  #config: ReviewConfig;
  #appliedText: string | undefined;
  #refused: { text: string | undefined; message: string } | undefined;

  /** `text` is the file content `initial` came from, so an untouched file is not applied twice. */
  constructor(
    path: string,
    initial: RuntimeGuardConfig,
    text: string | undefined,
    log: Logger,
    metrics: ServerMetrics,
  ) {
    super(log, {
      watchFailed: 'watching the configuration file failed; still checking it every minute',
      reloadFailed: 'configuration reload failed unexpectedly',
    });
    this.#path = path;
    this.#config = { policy: initial.policy, admission: initial.admission };
    this.#startupServer = initial.server;
    this.#appliedText = text;
    this.#metrics = metrics;
  }

  /** The policy and admission settings of the last valid file. */
  get config(): ReviewConfig {
    return this.#config;
  }

  start(options: WatchFilesOptions = {}): void {
    this.watch([this.#path], options);
  }

  readiness(): ReadinessCheck {
    return {
      name: 'configuration',
      check: () => ({
        ok: true,
        detail: this.#refused
          ? `running the last valid configuration; ${this.#path} was refused: ${this.#refused.message}`
          : `running ${this.#path} (preset ${this.#config.policy.preset}, mode ${this.#config.admission.mode})`,
      }),
    };
  }

  protected async reloadOnce(): Promise<ReloadResult> {
    let text: string;
    try {
      text = await readConfigFile(this.#path);
    } catch (error) {
      return this.#fail(undefined, (error as Error).message);
    }
    if (text === this.#appliedText) {
      this.#refused = undefined;
      return { ok: true, changed: false };
    }
    // A file caught between truncation and write is empty; the defaults it would mean are not what anyone saved.
    if (text.trim() === '') {
      const message = `${this.#path} is empty; an empty file is not applied on reload (restart to run the defaults)`;
      return this.#fail(text, message);
    }
    if (this.#refused && text === this.#refused.text) {
      return { ok: false, message: this.#refused.message }; // already reported
    }
    let config: RuntimeGuardConfig;
    try {
      config = parseConfigText(text, this.#path);
    } catch (error) {
      // A ConfigError says what is wrong with the file; anything else is still no configuration to run.
      return this.#fail(
        text,
        error instanceof ConfigError ? error.message : `${this.#path}: ${String(error)}`,
      );
    }
    this.#config = { policy: config.policy, admission: config.admission };
    this.#appliedText = text;
    this.#refused = undefined;
    this.#metrics.configReloads.inc({ result: 'success' });
    this.log.info(
      { path: this.#path, preset: config.policy.preset, mode: config.admission.mode },
      'configuration reloaded',
    );
    if (!isDeepStrictEqual(config.server, this.#startupServer)) {
      this.log.warn(
        { path: this.#path },
        'the server section changed; it applies at the next start, the policy applies now',
      );
    }
    return { ok: true, changed: true };
  }

  #fail(text: string | undefined, message: string): ReloadResult {
    this.#refused = { text, message };
    this.#metrics.configReloads.inc({ result: 'failure' });
    this.#metrics.errors.inc({ type: 'config_reload' });
    this.log.error({ reason: message }, 'new configuration refused; the running one stays');
    return { ok: false, message };
  }
}
