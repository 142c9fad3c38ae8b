// Other test runs may be going on at the same time on this machine (other checkouts, other people's
// `npm test`), running these very files. The leftover check finds container processes by strings in their
// command lines, so those strings carry this run's own id.
import { randomBytes, randomInt } from 'node:crypto';

export const RUN_ID = randomBytes(4).toString('hex');

/** `name` made unique to this run, for a container's command line. */
export const marker = (name: string): string => `${name}-${RUN_ID}`;

/** A `sleep` duration (seconds, ~4 days) unique to this run, for commands that must be a plain `sleep`. */
export const RUN_SLEEP_SECONDS = String(360_000 + randomInt(0, 99_999));
