// The YAML worker's entry (yaml-body-pool.ts): parses one body at a time and answers with its value, or with
// the Status of the 400 the parse ended in. Its value crosses by structured clone, which keeps own keys
// named `__proto__` as JSON.parse makes them.
import { parentPort } from 'node:worker_threads';
import { ApiError } from '../errors.js';
import { parseYamlBodyText } from './yaml-body.js';

export interface YamlRequest {
  id: number;
  text: string;
}

export type YamlAnswer =
  | { id: number; value: unknown }
  | { id: number; error: { code: number; reason: string; message: string } };

const port = parentPort;
if (port === null) throw new Error('yaml-body-worker.ts runs as a worker thread only');

port.on('message', ({ id, text }: YamlRequest) => {
  let answer: YamlAnswer;
  try {
    answer = { id, value: parseYamlBodyText(text) };
  } catch (e) {
    const status =
      e instanceof ApiError
        ? { code: e.code, reason: e.reason, message: e.message }
        : { code: 400, reason: 'BadRequest', message: `the request body is not valid YAML: ${String(e)}` };
    answer = { id, error: status };
  }
  port.postMessage(answer);
});
