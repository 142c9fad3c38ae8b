// The host runtime's records in memory (see ../pod-records.ts for the indexes).

import { PodRecords } from '../pod-records.js';
import type { ContainerRecord, SandboxRecord } from './records.js';

export class RecordStore extends PodRecords<SandboxRecord, ContainerRecord> {
  constructor() {
    super({
      sandboxId: (s) => s.id,
      sandboxLabels: (s) => s.config.labels,
      containerId: (c) => c.id,
      containerSandboxId: (c) => c.sandboxId,
      containerLabels: (c) => c.config.labels,
    });
  }

  /** The container of a sandbox with this name and attempt, if any (a name is taken until removed). */
  containerNamed(sandboxId: string, m: { name: string; attempt: number }): ContainerRecord | undefined {
    return this.containersOf(sandboxId).find(
      (c) => c.config.metadata.name === m.name && c.config.metadata.attempt === m.attempt,
    );
  }
}
