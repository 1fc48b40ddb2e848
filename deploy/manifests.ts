/**
 * The harness in the platform's cluster, with least privilege (docs/deploy.md): a ServiceAccount of
 * its own, and in each namespace the profile names a Role and RoleBinding that allow exactly what
 * the harness does there — read deployments and pods (the daily check, the drill's timeline), and
 * delete pods only where the profile lets drills act. Nothing cluster-wide. A Job runs the gate, a
 * CronJob the daily check (08:00 UTC) and one the Wednesday drill (10:00 UTC), never two at once.
 */
import type { Profile } from '../profile/schema.ts';

export interface DeployOptions {
  /** Where the harness runs (its ServiceAccount, Job and CronJobs). */
  namespace: string;
  image: string;
  suite: string;
  dailySchedule: string;
  drillSchedule: string;
  timeZone: string;
  /** Secret holding `profile.yaml` (the profile with platform.kubernetes.inCluster: true). */
  profileSecret: string;
  /** Secret whose keys become environment variables (the profile's ${VAR}s), optional. */
  envSecret: string;
}

export const DEPLOY_DEFAULTS = {
  namespace: 'carbon-harness', suite: 'deploy', dailySchedule: '0 8 * * *', drillSchedule: '0 10 * * 3', timeZone: 'Etc/UTC',
  profileSecret: 'carbon-harness-profile', envSecret: 'carbon-harness-env',
} as const;

const NAME = 'carbon-harness';
const PROFILE_DIR = '/etc/carbon-harness';
const labels = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/managed-by': 'carbon-harness' };

export interface Rule { apiGroups: string[]; resources: string[]; verbs: string[] }

/** What the harness may do in one platform namespace: read, and delete pods where drills may act. */
export function rulesFor(drill: boolean): Rule[] {
  return [
    { apiGroups: [''], resources: ['pods'], verbs: drill ? ['get', 'list', 'watch', 'delete'] : ['get', 'list', 'watch'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
  ];
}

function podSpec(o: DeployOptions, args: string[]) {
  return {
    serviceAccountName: NAME,
    restartPolicy: 'Never',
    securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{
      name: 'harness',
      image: o.image,
      args: [...args, '--profile', `${PROFILE_DIR}/profile.yaml`],
      env: [{ name: 'CARBON_HARNESS_RUNS', value: '/var/lib/carbon-harness/runs' }],
      envFrom: [{ secretRef: { name: o.envSecret, optional: true } }],
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      volumeMounts: [{ name: 'profile', mountPath: PROFILE_DIR, readOnly: true }, { name: 'runs', mountPath: '/var/lib/carbon-harness' }, { name: 'tmp', mountPath: '/tmp' }],
    }],
    volumes: [{ name: 'profile', secret: { secretName: o.profileSecret } }, { name: 'runs', emptyDir: {} }, { name: 'tmp', emptyDir: {} }],
  };
}

const cronJob = (o: DeployOptions, name: string, schedule: string, args: string[]) => ({
  apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: o.namespace, labels },
  spec: {
    schedule, timeZone: o.timeZone, concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 600,
    successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 5,
    jobTemplate: { spec: { backoffLimit: 0, template: { metadata: { labels }, spec: podSpec(o, args) } } },
  },
});

/** Every object, in the order to apply them. Requires `platform.kubernetes` (the namespaces to grant). */
export function manifests(p: Profile, o: DeployOptions): Array<Record<string, unknown>> {
  const k = p.platform.kubernetes!;
  const out: Array<Record<string, unknown>> = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NAME, namespace: o.namespace, labels } },
  ];
  for (const [ns, spec] of Object.entries(k.namespaces)) {
    const drill = Object.values(spec.deployments).some((d) => d.drill);
    out.push(
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: NAME, namespace: ns, labels }, rules: rulesFor(drill) },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: NAME, namespace: ns, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME },
        subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: o.namespace }] },
    );
  }
  out.push(
    { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `${NAME}-gate`, namespace: o.namespace, labels },
      spec: { backoffLimit: 0, ttlSecondsAfterFinished: 86_400, template: { metadata: { labels }, spec: podSpec(o, ['gate', '--suite', o.suite]) } } },
    cronJob(o, `${NAME}-daily`, o.dailySchedule, ['check', 'daily']),
    // --yes: in the cluster the context is "inCluster"; the blast-radius caps still hold.
    cronJob(o, `${NAME}-drill`, o.drillSchedule, ['drill', 'wednesday', '--yes']),
  );
  return out;
}
