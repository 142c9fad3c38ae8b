// The podrun command tree, assembled from the commands under commands/ (main.ts runs it; tests walk it).

import { readFileSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { completionCommand } from './commands/completion.js';
import { deleteCommand } from './commands/delete.js';
import { describeCommand } from './commands/describe.js';
import { downCommand } from './commands/down.js';
import { eventsCommand } from './commands/events.js';
import { getCommand } from './commands/get.js';
import { imageCommand } from './commands/image.js';
import { kubeconfigCommand } from './commands/kubeconfig.js';
import { lintCommand } from './commands/lint.js';
import { logsCommand } from './commands/logs.js';
import { restartCommand } from './commands/restart.js';
import { serveCommand } from './commands/serve.js';
import { timelineCommand } from './commands/timeline.js';
import { upCommand } from './commands/up.js';
import { validateCommand } from './commands/validate.js';
import { versionCommand } from './commands/version.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function podrunProgram() {
  return new Command('podrun')
    .description('Run Kubernetes pods on one machine, with the kubelet’s semantics, and watch them start.')
    .version(pkg.version)
    .addCommand(upCommand())
    .addCommand(downCommand())
    .addCommand(serveCommand())
    .addCommand(imageCommand())
    .addCommand(kubeconfigCommand())
    .addCommand(validateCommand())
    .addCommand(lintCommand())
    .addCommand(timelineCommand())
    .addCommand(getCommand())
    .addCommand(describeCommand())
    .addCommand(logsCommand())
    .addCommand(deleteCommand())
    .addCommand(restartCommand())
    .addCommand(eventsCommand())
    .addCommand(versionCommand())
    .addCommand(completionCommand())
    .showHelpAfterError();
}
