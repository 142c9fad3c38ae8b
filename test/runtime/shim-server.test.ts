// The shim server's protocol, against small stand-in servers written for each case (the real one is exercised
// by every host runtime test).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ShimServer, URGENT_BEFORE_BACKGROUND } from '../../src/runtime/host/shim-server.js';

const work = mkdtempSync(join(tmpdir(), 'podrun-shim-server-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A stand-in server: reads requests like the real one and answers each with the Perl code `answer`. */
function server(name: string, answer: string, maxInFlight?: number): ShimServer {
  const file = join(work, `${name}.pl`);
  writeFileSync(
    file,
    String.raw`
$| = 1;
my @held;
my $buf = '';
while (sysread(STDIN, my $chunk, 65536)) {
  $buf .= $chunk;
  for (;;) {
    my $nl = index($buf, "\n");
    last if $nl < 0;
    my ($id, $mode, $len) = split / /, substr($buf, 0, $nl);
    last if length($buf) < $nl + 1 + $len;
    my $spec = substr($buf, $nl + 1, $len);
    substr($buf, 0, $nl + 1 + $len) = '';
    ${answer}
  }
}
`,
  );
  return new ShimServer('/usr/bin/perl', file, join(work, `${name}.log`), { maxInFlight });
}

/**
 * A stand-in that takes one request at a time and answers each a little later; `seen()` lists the requests'
 * specs in the order they reached it.
 */
function oneAtATime(name: string): { s: ShimServer; seen: () => string[] } {
  const file = join(work, `${name}.seen`);
  writeFileSync(file, '');
  const s = server(
    name,
    String.raw`open(my $f, '>>', '${file}'); print $f "$spec "; close $f; select(undef, undef, undef, 0.03); print "$id ok\n";`,
    1,
  );
  return { s, seen: () => readFileSync(file, 'utf8').trim().split(' ') };
}

describe('shim server', () => {
  test('each report reaches the request it answers, whatever the order of the answers', async () => {
    // Holds every request until the third, then answers them last first.
    const s = server(
      'reverse',
      String.raw`push @held, "$id ok $mode $spec"; if (@held == 3) { print "$_\n" for reverse @held; @held = (); }`,
    );
    try {
      const answers = await Promise.all([
        s.request('sandbox', 'a'),
        s.request('start', 'bé'),
        s.request('teardown', 'c'),
      ]);
      assert.deepEqual(answers, ['ok sandbox a', 'ok start bé', 'ok teardown c']);
    } finally {
      await s.close();
    }
  });

  test('no more than maxInFlight requests are out at once, and container starts go before new sandboxes', async () => {
    const { s, seen } = oneAtATime('limited');
    try {
      await Promise.all([
        s.request('sandbox', 'sb1'),
        s.request('sandbox', 'sb2'),
        s.request('start', 'c1'),
        s.request('teardown', 't1'),
        s.request('sandbox', 'sb3'),
      ]);
      assert.equal(seen().join(' '), 'sb1 c1 t1 sb2 sb3');
    } finally {
      await s.close();
    }
  });

  test('a waiting sandbox goes after at most URGENT_BEFORE_BACKGROUND container starts, however many keep coming', async () => {
    const { s, seen } = oneAtATime('fair');
    try {
      // The first start takes the one slot; then a sandbox waits behind a stream of starts (crash loops).
      const out = [s.request('start', 'c0'), s.request('sandbox', 'sb')];
      for (let i = 1; i <= 2 * URGENT_BEFORE_BACKGROUND; i++) out.push(s.request('start', `c${i}`));
      await Promise.all(out);
      const order = seen();
      // c0 was out already; then at most URGENT_BEFORE_BACKGROUND starts, then the sandbox.
      assert.equal(order.indexOf('sb'), 1 + URGENT_BEFORE_BACKGROUND, order.join(' '));
    } finally {
      await s.close();
    }
  });

  test("a child's end after its report reaches the request's onExit with its wait status", async () => {
    const s = server('ends', String.raw`print "$id ok\n"; print "$id !exit 9\n";`);
    // The server holds the event loop only while a report is awaited, as podrun's own handles hold it.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      let ended: number | undefined;
      const heard = new Promise<void>((resolve) => {
        s.request('sandbox', '', (status) => {
          ended = status;
          resolve();
        }).then((report) => assert.equal(report, 'ok'));
      });
      await heard;
      assert.equal(ended, 9);
    } finally {
      clearInterval(keepAlive);
      await s.close();
    }
  });

  test('a report spanning lines arrives whole: newlines and backslashes are unescaped', async () => {
    const s = server(
      'multiline',
      String.raw`print "$id err ip failed:\\nRTNETLINK answers: File exists \\\\ here\n";`,
    );
    try {
      assert.equal(await s.request('sandbox', ''), 'err ip failed:\nRTNETLINK answers: File exists \\ here');
    } finally {
      await s.close();
    }
  });

  test('a request whose child ended without a report fails with its wait status and where to look', async () => {
    const s = server('silent', String.raw`print "$id !exit 9\n";`);
    try {
      const report = await s.request('start', '');
      assert.match(report, /^err the shim ended \(wait status 9\) without a report; see .*silent\.log$/);
    } finally {
      await s.close();
    }
  });

  test('requests pending when the server dies fail, and the next request starts a new server', async () => {
    const count = join(work, 'starts');
    writeFileSync(count, '');
    const s = server(
      'dies',
      String.raw`if ($spec eq 'die') { print STDERR "going\n"; exit 3; } open(my $c, '>>', '${count}'); print $c "x"; close $c; print "$id ok\n";`,
    );
    try {
      assert.equal(await s.request('start', 'first'), 'ok');
      const report = await s.request('start', 'die');
      assert.match(report, /^err the shim server exited \(status 3\) before reporting; see .*dies\.log$/);
      assert.match(readFileSync(join(work, 'dies.log'), 'utf8'), /going/);
      assert.equal(await s.request('start', 'again'), 'ok');
      assert.equal(readFileSync(count, 'utf8'), 'xx');
    } finally {
      await s.close();
    }
  });

  test('a server that failed to start does not fail the requests of the next one', async () => {
    const perl = join(work, 'perl-later');
    const file = join(work, 'later.pl');
    writeFileSync(
      file,
      String.raw`$| = 1; while (my $l = <STDIN>) { my ($id, $m, $len) = split / /, $l; read(STDIN, my $x, $len); select(undef, undef, undef, 0.3); print "$id ok\n"; }`,
    );
    const s = new ShimServer(perl, file, join(work, 'later.log'), { maxInFlight: 1 });
    try {
      // The first spawn fails (reported a tick later); the second request goes to a new server at once, and
      // the first server's late 'close' must not fail it.
      const first = s.request('start', 'a');
      const second = s.request('start', 'b');
      symlinkSync('/usr/bin/perl', perl);
      assert.match(await first, /ENOENT/);
      assert.equal(await second, 'ok');
    } finally {
      await s.close();
    }
  });

  test('a start handed to a zygote names it; one of an earlier server is sent as a plain start', async () => {
    const s = server(
      'zygote',
      String.raw`if ($mode eq 'zygote') { print "$id ok 4242\n"; } elsif ($mode eq 'die') { exit 0; } else { print "$id ok $mode $spec\n"; }`,
    );
    try {
      const made = await s.zygote('cgroup\0/x/cgroup.procs\0', () => {});
      assert.equal(made.report, 'ok 4242');
      assert.equal(made.zygote?.pid, 4242);
      const zid = made.zygote?.id;
      assert.equal(await s.request('start', 'a', undefined, made.zygote), `ok start@${zid} a`);
      // The server dies; the next one never knew the zygote.
      await s.request('die' as 'start', '');
      assert.equal(await s.request('start', 'b', undefined, made.zygote), 'ok start b');
    } finally {
      await s.close();
    }
  });

  test('a zygote that failed has no handle', async () => {
    const s = server('zygote-err', String.raw`print "$id err mkdir: Permission denied\n";`);
    try {
      const made = await s.zygote('', () => {});
      assert.equal(made.report, 'err mkdir: Permission denied');
      assert.equal(made.zygote, undefined);
    } finally {
      await s.close();
    }
  });

  test('close() holds the event loop until the server has exited, even when a report comes after close() began', async () => {
    // The request's child (as a zygote or a spare namespace, made in the background) reports only once the
    // server has exited, which is after close() ended its stdin; it keeps the report pipe a moment longer, so
    // the server's 'close' comes later still. Nothing else holds the event loop here: a server that let go of
    // it at that report (as it does when no report is awaited) would leave this test pending and failed by
    // the runner ("Promise resolution is still pending but the event loop has already resolved").
    const s = server(
      'late',
      String.raw`my $ppid = getppid(); if (!fork()) { select(undef, undef, undef, 0.01) while getppid() == $ppid; print "$id ok
"; select(undef, undef, undef, 0.3); exit 0; }`,
    );
    const report = s.request('sandbox', '');
    await s.close();
    assert.equal(await report, 'ok');
  });

  test('a server that cannot be started is reported, not thrown', async () => {
    const s = new ShimServer(join(work, 'no-such-perl'), join(work, 'x.pl'), join(work, 'x.log'));
    assert.match(await s.request('sandbox', ''), /^err cannot run .*no-such-perl: .*ENOENT/);
  });
});
