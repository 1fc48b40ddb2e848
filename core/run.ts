import { RunRecorder, type RunRecord } from './record.ts';
import { EXIT, UsageError, exitCodeFor, firstLine } from './errors.ts';
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

/** How long a run told to stop (interrupt, stray failure) may take to wind down before its cleanups run. */
const WIND_DOWN_MS = 5000;

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

  // Once cleanups have begun, a cleanup registered late (a body still running after a failure)
  // runs at once: nothing the run created may outlive it.
  let cleaning = false;
  const cleanUp = async (fn: () => Promise<void> | void) => {
    try { await fn(); } catch (e) { log(`cleanup failed: ${(e as Error).message}`); }
  };
  const runCleanups = async () => {
    cleaning = true;
    while (cleanups.length) await cleanUp(cleanups.pop()!);
  };
  const onCleanup = (fn: () => Promise<void> | void) => {
    if (cleaning) void cleanUp(fn); else cleanups.push(fn);
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
  // with exit 1 (a FAIL to CI) and leave the record unfinished. The first one ends the run as an
  // error instead: the body is told to stop, its cleanups run, exit 3. One after the record is
  // written changes neither it nor the exit code: it is reported, and the run ends as it was judged.
  let crash: Error | null = null;
  let finished = false;
  let failRun: (e: Error) => void = () => {};
  const crashed = new Promise<never>((_, reject) => { failRun = reject; });
  crashed.catch(() => {});
  const onCrash = (e: unknown) => {
    const err = e instanceof Error ? e : new Error(`unexpected failure: ${String(e)}`);
    if (finished) { log(`warning: a failure after the record was written (not judged): ${firstLine(err)}`); return; }
    if (crash) return;
    crash = err;
    // Where it came from is the only clue to a failure nobody awaited: kept in the record, not printed.
    rec.setData('unexpectedFailure', String(err.stack ?? err));
    ac.abort(err);
    failRun(err);
  };
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);

  let code: number;
  let work: Promise<void> | null = null;
  try {
    work = body({ rec, signal: ac.signal, onCleanup, progress: log });
    // A body that ignores the signal must not keep an interrupted run alive forever.
    const aborted = new Promise<never>((_, reject) =>
      ac.signal.addEventListener('abort', () => setTimeout(() => reject(ac.signal.reason), WIND_DOWN_MS), { once: true }));
    await Promise.race([work, aborted, crashed]);
    await runCleanups();
    // A failure nobody awaited while the cleanups ran fails the run all the same.
    if (crash) throw crash;
    if (interrupted) {
      rec.finish('aborted', `interrupted by ${interrupted}`);
      code = EXIT.infra;
    } else {
      code = exitCodeForRecord(rec.finish());
    }
  } catch (e) {
    // After a stray failure the body was told to stop: it gets as long as an interrupted one to
    // wind down, so what it registers on the way out is cleaned up too.
    // The timer holds the process open: a body waiting on nothing that does must not let it exit
    // before the record is finished.
    if (crash && work) {
      let windDown: NodeJS.Timeout | undefined;
      await Promise.race([work.catch(() => {}), new Promise((r) => { windDown = setTimeout(r, WIND_DOWN_MS); })]);
      clearTimeout(windDown);
    }
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
    finished = true;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
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
  process.off('unhandledRejection', onCrash);
  process.off('uncaughtException', onCrash);
  return code;
}
