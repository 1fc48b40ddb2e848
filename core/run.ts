import { RunRecorder, type RunRecord } from './record.ts';
import { EXIT, UsageError, exitCodeFor } from './errors.ts';
import { mask, maskDeep } from './secrets.ts';

export interface RunContext {
  rec: RunRecorder;
  /** Aborted on Ctrl-C / SIGTERM: long work must watch it. */
  signal: AbortSignal;
  /** Undo steps (e.g. delete chaos objects) that must run however the command ends. */
  onCleanup(fn: () => Promise<void> | void): void;
  progress(msg: string): void;
}

export interface RunOptions {
  kind: string;
  runsDir: string;
  /** Written into the record: which platform this run measured. */
  platform: string;
  /** Written into the record: the profile it ran against. */
  profile?: RunRecord['profile'];
  json?: boolean;
  quiet?: boolean;
  /** Writes derived files (reports) from the finished record, whatever the output mode. */
  onFinish?: (r: RunRecord, dir: string) => void;
  /**
   * Tells others the result (the profile's notifications) once the record is final; what each
   * delivery did is kept in the record (`data.notifications`). It never changes the exit code.
   */
  announce?: (r: RunRecord, dir: string) => Promise<unknown[] | null>;
  /**
   * Drills: a failure once the run has changed something (API or broker gone mid-drill) is recorded as
   * `aborted`, like Ctrl-C — it was cut short and its cleanups undid what it had started. A failure
   * before that (refusals, an unreachable API) stays `error`.
   */
  failureAborts?: (r: RunRecord) => boolean;
}

export function exitCodeForRecord(r: RunRecord): number {
  switch (r.status) {
    case 'pass': return EXIT.ok;
    case 'fail': return EXIT.checkFailed;
    case 'incomplete': return EXIT.incomplete;
    default: return EXIT.infra;
  }
}

/**
 * Every command runs through here so that each one leaves a record, maps its outcome to the
 * public exit codes, and runs its cleanups even when interrupted.
 */
export async function runCommand(
  opts: RunOptions,
  body: (ctx: RunContext) => Promise<void>,
  print: (r: RunRecord) => void = () => {},
): Promise<number> {
  const rec = new RunRecorder(opts.runsDir, opts.kind, opts.platform, process.argv.slice(2), opts.profile);
  const ac = new AbortController();
  const cleanups: Array<() => Promise<void> | void> = [];
  const log = (msg: string) => { if (!opts.quiet) process.stderr.write(`${mask(msg)}\n`); };

  const runCleanups = async () => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      try { await fn(); } catch (e) { log(`cleanup failed: ${(e as Error).message}`); }
    }
  };

  let interrupted: string | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    log(`\n${sig}: stopping, cleaning up and writing the record…`);
    ac.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A promise rejected with no one awaiting it (a library's stray callback) would end the process
  // with a stack trace and leave the record unfinished: it ends the run as an error instead, after
  // its cleanups, like any other failure.
  let onCrash: (e: unknown) => void = () => {};
  const crashed = new Promise<never>((_, reject) => {
    onCrash = (e) => {
      // Where it came from is the only clue to a failure nobody awaited: kept in the record, not printed.
      rec.setData('unexpectedFailure', String((e as Error)?.stack ?? e));
      reject(e instanceof Error ? e : new Error(`unexpected failure: ${String(e)}`));
    };
  });
  crashed.catch(() => {});
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);

  let code: number;
  try {
    const work = body({ rec, signal: ac.signal, onCleanup: (fn) => cleanups.push(fn), progress: log });
    // A body that ignores the signal must not keep an interrupted run alive forever.
    const aborted = new Promise<never>((_, reject) =>
      ac.signal.addEventListener('abort', () => setTimeout(() => reject(ac.signal.reason), 5000), { once: true }));
    await Promise.race([work, aborted, crashed]);
    await runCleanups();
    if (interrupted) {
      rec.finish('aborted', `interrupted by ${interrupted}`);
      code = EXIT.infra;
    } else {
      code = exitCodeForRecord(rec.finish());
    }
  } catch (e) {
    await runCleanups();
    const err = e as Error;
    if (interrupted) {
      rec.finish('aborted', `interrupted by ${interrupted}`);
      code = EXIT.infra;
    } else if (e instanceof UsageError) {
      rec.finish('error', err.message);
      code = EXIT.usage;
    } else {
      rec.finish(opts.failureAborts?.(rec.record) ? 'aborted' : 'error', err.message);
      code = exitCodeFor(e);
    }
    process.stderr.write(`error: ${mask(err.message)}\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
  }
  // Reports and what is printed are made from the record as it was written: secrets masked.
  const written = maskDeep(rec.record);
  if (opts.onFinish) {
    try { opts.onFinish(written, rec.dir); } catch (e) { log(`writing reports failed: ${(e as Error).message}`); }
  }
  if (opts.announce) {
    try {
      const deliveries = await opts.announce(written, rec.dir);
      if (deliveries) {
        rec.setData('notifications', deliveries);
        written.data.notifications = maskDeep(deliveries);
        for (const d of deliveries as Array<{ target: string; url: string; ok: boolean; attempts: unknown[] }>) {
          if (!d.ok) log(`notification to ${d.target} (${d.url}) not delivered after ${d.attempts.length} attempt(s): the verdict stands`);
        }
      }
    } catch (e) { log(`notifications failed: ${(e as Error).message}`); }
  }
  if (opts.json) process.stdout.write(JSON.stringify(written, null, 2) + '\n');
  else print(written);
  log(`record: ${rec.path}`);
  return code;
}
