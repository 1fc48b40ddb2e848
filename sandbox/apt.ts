import { userInfo } from 'node:os';
import { run } from './proc.ts';

let updated = false;

/** Debian packages are how PostgreSQL and Prometheus reach a fresh machine. */
export async function aptInstall(pkgs: string[], progress: (m: string) => void): Promise<void> {
  const sudo = userInfo().uid === 0 ? [] : ['sudo', '-n'];
  const exec = (args: string[]) => sudo.length ? run(sudo[0]!, [...sudo.slice(1), ...args]) : run(args[0]!, args.slice(1));
  if (!updated) {
    progress('apt-get update…');
    await exec(['apt-get', 'update', '-q']);
    updated = true;
  }
  progress(`apt-get install ${pkgs.join(' ')}…`);
  await exec(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', ...pkgs]);
}
