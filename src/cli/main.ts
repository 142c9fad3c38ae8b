// The podrun command line. Each command lives in its own file under commands/; program.ts assembles them.
import { podrunProgram } from './program.js';

await podrunProgram().parseAsync(process.argv);
