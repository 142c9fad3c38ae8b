// Kinds served in a second version that is converted to and from the stored one at the HTTP layer
// (src/apiserver/http/hpa-v1.ts): discovery lists them after the stored version, which stays preferred.
import { type ResourceInfo, resourceByName } from './resources.js';

const hpa = resourceByName('autoscaling', 'horizontalpodautoscalers')!;

/** autoscaling/v1 HorizontalPodAutoscaler: stored as autoscaling/v2. */
export const HPA_V1: ResourceInfo = { ...hpa, version: 'v1' };

export const CONVERTED_RESOURCES: readonly ResourceInfo[] = [HPA_V1];
