/**
 * What a pod-kill drill is asked to do: the target, how to kill, the targets it is judged against,
 * and the guards. The CLI builds it from flags and the profile (`cli/actions/drill.ts`); the drill
 * resolves it against the cluster (the deployment's selector and desired replicas, the victims)
 * before anything is injected.
 */
import type { Scenario } from '../scenarios/types.ts';

export interface PodKillPlan {
  namespace: string;
  deployment: string;
  count: number;
  via: 'api' | 'chaos-mesh';
  /** Seconds a killed pod gets to stop; undefined = the pod's own (chaos-mesh: 0). */
  gracePeriodS?: number;
  recoverySloS: number;
  /** The recovery target was the run's own (--recovery-slo, or the Schedule's annotation), not the profile's. */
  recoverySloFixed?: boolean;
  /** Consumer lag must come back under this after the kill (prediction-consumer only). */
  lagTargetS: number;
  withLoad?: Scenario;
  /** Follow the next kill of a Schedule of ours instead of killing (drill follow). */
  follow?: { schedule: string; timeoutS: number };
  dryRun: boolean;
  yes: boolean;
  alertWaitS: number;
}
