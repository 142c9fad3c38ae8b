// `podrun down`: stops the `podrun serve` of the state directory (the one `podrun up --detach` left running,
// or one started by hand) and with it every pod it runs, gracefully, and waits until all is gone.
import { Command, Option } from '@commander-js/extra-typings';
import { runningServer } from '../../server/podrun.js';
import { defaultStateDir, stateLayout } from '../../server/state-dir.js';
import { examples } from '../kubectl/common.js';
import { parseDuration } from '../options.js';
import { fail } from '../report.js';
import { stopServe } from '../up/detach.js';

export function downCommand(): Command {
  return new Command('down')
    .description(
      'Stop the podrun serve of the state directory (as left by `podrun up --detach`) and its pods',
    )
    .option('--state-dir <dir>', 'state directory of the server to stop', defaultStateDir())
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for the pods and the server to stop')
        .argParser(parseDuration)
        .default(120_000, '2m'),
    )
    .addHelpText(
      'after',
      examples([
        ['Start pods in the background and return once they are up', 'podrun up --detach --wait -f app.yaml'],
        ['Stop them and the server', 'podrun down'],
      ]),
    )
    .action(async (opts) => {
      const running = await runningServer(stateLayout(opts.stateDir).serveInfo);
      if (running)
        process.stderr.write(
          `podrun: stopping podrun serve (pid ${running.pid}) of ${opts.stateDir} and its pods…\n`,
        );
      const pid = await stopServe(opts.stateDir, opts.timeout).catch((err: unknown) =>
        fail(err, 'podrun down did not finish'),
      );
      process.stderr.write(
        pid === undefined
          ? `podrun: no podrun serve runs on state directory ${opts.stateDir}: nothing to stop\n`
          : `podrun: stopped podrun serve (pid ${pid}) and its pods\n`,
      );
    });
}
