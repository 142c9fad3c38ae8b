#!/usr/bin/perl
# podrun host runtime shim: modes serve (requests sandbox | teardown | start | nft | netns) | prepare | exec | idle.
# The runtime (src/runtime/host/) writes this file to <stateDir>/bin/podrun-shim.pl and runs it with perl.
#
# Why Perl: namespaces cannot be entered from Node (it is multithreaded: setns(2) on the mount namespace fails
# and unshare(2) affects one thread), and a Node process per container is far too heavy for 1,000 pods. The
# util-linux tools (unshare, nsenter, setpriv, mount, env) would need 6-7 execs per container and an extra
# waiting process, and `unshare --fork` hides the real wait status of the container. perl-base is Essential
# on Debian, single-threaded, and its `syscall` reaches setns/unshare/mount directly, so one small process
# does what conmon does for Podman: it creates the container as the first process of a new PID namespace (so it
# is the container's parent and sees its real exit status or signal), writes its stdout/stderr to the CRI log
# file, and records the exit in the state directory. It is detached from podrun and survives podrun's death.
#
# Only built-in functions and modules of perl-base are used. Syscall numbers come from the runtime (per arch).
# Inputs are NUL-separated `key value` token lists (see spec.ts): on stdin for prepare and exec, and in the
# requests of `serve`, the long-lived process that forks a child per sandbox, teardown and container start.
#
# No modules at all, not even strict or constant: each costs milliseconds at every container start on a
# small machine. The test suite compiles this file with -Mstrict -Mwarnings instead.
sub CLONE_NEWNS () { 0x00020000 }
sub CLONE_NEWUTS () { 0x04000000 }
sub CLONE_NEWIPC () { 0x08000000 }
sub CLONE_NEWPID () { 0x20000000 }
sub CLONE_NEWNET () { 0x40000000 }
sub MS_RDONLY () { 1 }
sub MS_NOSUID () { 2 }
sub MS_NODEV () { 4 }
sub MS_NOEXEC () { 8 }
sub MS_REMOUNT () { 32 }
sub MS_BIND () { 4096 }
sub MS_REC () { 16384 }
sub MS_SLAVE () { 524288 }
sub WNOHANG () { 1 }
sub O_PATH () { 0x200000 }
sub EINTR () { 4 }
sub EAGAIN () { 11 }
sub MAXLINE () { 16384 }
sub AF_NETLINK () { 16 }
sub SOCK_RAW () { 3 }
sub NLM_F_REQUEST () { 1 }
sub NLM_F_ACK () { 4 }
sub NLM_F_EXCL () { 0x200 }
sub NLM_F_CREATE () { 0x400 }
sub NLMSG_ERROR () { 2 }
sub RTM_NEWLINK () { 16 }
sub RTM_DELLINK () { 17 }
sub RTM_GETLINK () { 18 }
sub RTM_NEWADDR () { 20 }
sub RTM_NEWROUTE () { 24 }
sub IFLA_IFNAME () { 3 }
sub IFLA_MASTER () { 10 }
sub IFLA_LINKINFO () { 18 }
sub IFLA_NET_NS_FD () { 28 }
sub IFF_UP () { 1 }

$SIG{PIPE} = 'IGNORE';

my (%SYS, %spec, %list);

sub parse_spec {
  my ($data) = @_;
  my @t = split /\0/, $data, -1;
  pop @t if @t && $t[-1] eq '';
  while (@t) {
    my $k = shift @t;
    if ($k eq 'sys') { my $n = shift @t; $SYS{$n} = 0 + shift @t; }
    elsif ($k eq 'mount') { push @{ $list{mount} }, [ splice(@t, 0, 4) ]; }
    elsif ($k eq 'file' || $k eq 'record' || $k eq 'imgvolume') { push @{ $list{$k} }, [ splice(@t, 0, 2) ]; }
    elsif ($k =~ /^(?:argv|env|cgroup|cgroupout|oomfile|rmdir|mkdir|rmtree|remountro)$/) { push @{ $list{$k} }, shift @t; }
    else { $spec{$k} = shift @t; }
  }
}

sub slurp {
  my ($p) = @_;
  open(my $fh, '<', $p) or die "open $p: $!\n";
  local $/;
  my $d = <$fh>;
  close $fh;
  return defined $d ? $d : '';
}

sub sc {
  my ($name, @a) = @_;
  die "podrun-shim: no syscall number for $name\n" unless defined $SYS{$name};
  return syscall($SYS{$name}, @a);
}

sub xmount {
  my ($src, $tgt, $fs, $flags, $data) = @_;
  my @a = (defined $src ? "$src" : 0, "$tgt", defined $fs ? "$fs" : 0, 0 + $flags, defined $data ? "$data" : 0);
  sc('mount', @a) == 0 or die 'mount ' . (defined $src ? $src : 'none') . " on $tgt: $!\n";
}

sub now_ns {
  my $ts = "\0" x 16;
  return (time(), 0) unless defined $SYS{clock_gettime} && syscall($SYS{clock_gettime}, 0, $ts) == 0;
  return unpack('q q', $ts);
}

my ($ts_sec, $ts_str) = (-1, '');
sub rfc3339nano {
  my ($s, $ns) = @_;
  if ($s != $ts_sec) {
    my @t = gmtime($s);
    $ts_str = sprintf('%04d-%02d-%02dT%02d:%02d:%02d', $t[5] + 1900, $t[4] + 1, $t[3], $t[2], $t[1], $t[0]);
    $ts_sec = $s;
  }
  my $f = sprintf('%09d', $ns);
  $f =~ s/0+$//;
  return $f eq '' ? $ts_str . 'Z' : $ts_str . '.' . $f . 'Z';
}

sub jstr {
  my ($s) = @_;
  $s =~ s/(["\\])/\\$1/g;
  $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord($1))/ge;
  return '"' . $s . '"';
}

sub write_atomic {
  my ($path, $data) = @_;
  my $tmp = $path . '.tmp';
  open(my $fh, '>', $tmp) or return 0;
  print $fh $data;
  close($fh) or return 0;
  return rename($tmp, $path);
}

sub starttime {
  my ($pid) = @_;
  my $stat = eval { slurp("/proc/$pid/stat") };
  return '0' unless defined $stat && $stat =~ /\)\s+(.*)$/s;
  my @f = split /\s+/, $1;
  return $f[19];
}

sub mkpath {
  my ($p) = @_;
  return if $p eq '' || -d $p;
  my $parent = $p;
  $parent =~ s{/[^/]*$}{};
  mkpath($parent) if $parent ne '' && !-d $parent;
  return if mkdir($p, 0755);
  my $why = "$!";
  die "create mount point $p: $why\n" unless -d $p;
}

# Runs ip -batch with the commands on its stdin; its stdout goes nowhere (ours may be the report channel) and
# its stderr comes back in the error.
sub run_ip {
  my ($cmds) = @_;
  pipe(my $inR, my $inW) or die "pipe: $!\n";
  pipe(my $errR, my $errW) or die "pipe: $!\n";
  my $pid = fork();
  die "fork: $!\n" unless defined $pid;
  if ($pid == 0) {
    close $inW; close $errR;
    open(STDIN, '<&', $inR) or exit 127;
    open(STDOUT, '>', '/dev/null') or exit 127;
    open(STDERR, '>&', $errW) or exit 127;
    exec { $spec{ip} } $spec{ip}, '-batch', '-' or do { print STDERR "run $spec{ip}: $!\n"; exit 127; };
  }
  close $inR; close $errW;
  # The commands fit the pipe's buffer: write them all, then read what ip says.
  syswrite($inW, $cmds);
  close $inW;
  my $err = '';
  while (sysread($errR, my $chunk, 4096)) { $err .= $chunk; }
  close $errR;
  waitpid($pid, 0);
  return if $? == 0;
  $err =~ s/\s+$//;
  die "ip -batch failed (exit status " . ($? >> 8) . "): $err\nrunning:\n$cmds";
}

# rtnetlink, spoken directly: the same requests as ip(8) makes, without starting it (a few ms each time).
# A netlink socket belongs to the network namespace it was created in.
sub nl_open {
  socket(my $s, AF_NETLINK, SOCK_RAW, 0) or die "netlink socket: $!\n";
  return $s;
}
sub nla {
  my ($type, $data) = @_;
  my $len = 4 + length $data;
  return pack('S S', $len, $type) . $data . ("\0" x ((4 - $len % 4) % 4));
}
sub ifinfo {
  my ($index, $flags, $change) = @_;
  return pack('C x S l L L', 0, 0, $index, $flags, $change);
}
sub ipv4 { return pack('C4', split /\./, $_[0]); }
my $nlseq = 0;
# Sends one request and waits for its acknowledgement; returns the last reply before it (for a get).
# Fails as ip does: "<what>: RTNETLINK answers: <strerror>".
sub rtnl {
  my ($s, $type, $flags, $body, $what) = @_;
  my $seq = ++$nlseq;
  send($s, pack('L S S L L', 16 + length $body, $type, NLM_F_REQUEST | NLM_F_ACK | $flags, $seq, 0) . $body, 0)
    or die "$what: netlink: $!\n";
  my $reply = '';
  for (;;) {
    defined(recv($s, my $buf, 65536, 0)) or die "$what: netlink: $!\n";
    while (length($buf) >= 16) {
      my ($len, $rtype, $rflags, $rseq) = unpack('L S S L', $buf);
      last if $len < 16 || $len > length $buf;
      my $payload = substr($buf, 16, $len - 16);
      substr($buf, 0, ($len + 3) & ~3) = '';
      next unless $rseq == $seq;
      if ($rtype != NLMSG_ERROR) { $reply = $payload; next; }
      my $err = unpack('l', $payload);
      return $reply if $err == 0;
      $! = -$err;
      my $e = "$!";
      die "$what: RTNETLINK answers: $e\n";
    }
  }
}
sub link_index {
  my ($s, $name) = @_;
  my $r = rtnl($s, RTM_GETLINK, 0, ifinfo(0, 0, 0) . nla(IFLA_IFNAME, "$name\0"), "find link $name");
  my (undef, undef, $index) = unpack('C x S l', $r);
  return $index;
}

# The Service rules (kube-proxy's, rendered by the runtime into one `nft -f` transaction in a file): nft runs
# in the network namespace of the process that calls this, with its stdout nowhere (ours may be the report
# channel) and its stderr kept for the report. Returns the pid and the read end of its stderr.
sub spawn_nft {
  pipe(my $errR, my $errW) or die "pipe: $!\n";
  my $pid = fork();
  die "fork: $!\n" unless defined $pid;
  if ($pid == 0) {
    close $errR;
    open(STDIN, '<', '/dev/null') or exit 127;
    open(STDOUT, '>', '/dev/null') or exit 127;
    open(STDERR, '>&', $errW) or exit 127;
    exec { $spec{nft} } $spec{nft}, '-f', $spec{nftfile} or do { print STDERR "run $spec{nft}: $!\n"; exit 127; };
  }
  close $errW;
  return ($pid, $errR);
}
# Waits for spawn_nft's nft; returns '' when it succeeded, else why not (one line).
sub wait_nft {
  my ($pid, $errR) = @_;
  my $err = '';
  while (sysread($errR, my $chunk, 4096)) { $err .= $chunk; }
  close $errR;
  waitpid($pid, 0);
  return '' if $? == 0;
  $err =~ s/\s+$//;
  $err =~ s/\s*\n\s*/ | /g;
  return "nft -f $spec{nftfile} failed (" . (($? & 127) ? 'signal ' . ($? & 127) : 'exit status ' . ($? >> 8)) . "): $err";
}

# Directories and files a request asks for, before anything else.
sub make_paths {
  mkpath($_) for @{ $list{mkdir} || [] };
  for my $f (@{ $list{file} || [] }) { write_atomic($f->[0], $f->[1]) or die "write $f->[0]: $!\n"; }
}

sub write_records {
  for my $f (@{ $list{record} || [] }) { write_atomic($f->[0], $f->[1]) or die "write $f->[0]: $!\n"; }
}

sub rmtree {
  my ($p) = @_;
  if (!-l $p && -d _) {
    if (opendir(my $dh, $p)) {
      for my $e (readdir $dh) { rmtree("$p/$e") unless $e eq '.' || $e eq '..'; }
      closedir $dh;
    }
    rmdir $p;
  } else {
    unlink $p;
  }
}

# prepare: mounts the tmpfs for the runtime records and sets up the bridge, under a lock: several podruns may
# start at once on one machine.
sub is_mountpoint {
  my ($d) = @_;
  for my $line (split /\n/, slurp('/proc/self/mountinfo')) {
    my @f = split / /, $line;
    next unless defined $f[4];
    (my $mp = $f[4]) =~ s/\\([0-7]{3})/chr(oct($1))/ge;
    return 1 if $mp eq $d;
  }
  return 0;
}

sub mode_prepare {
  open(my $lock, '>>', $spec{lock}) or die "open $spec{lock}: $!\n";
  flock($lock, 2) or die "lock $spec{lock}: $!\n";
  if (defined $spec{recordsfs}) {
    if (!is_mountpoint($spec{recordsfs})) {
      mkpath($spec{recordsfs});
      xmount('podrun', $spec{recordsfs}, 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=0700');
    }
    # The records hold the containers' environment, Secret values included: root's alone.
    chmod(0700, $spec{recordsfs}) or die "chmod $spec{recordsfs}: $!\n";
  }
  if (defined $spec{inflight}) {
    my $d = $spec{inflight};
    $d =~ s{/[^/]*$}{};
    mkpath($d);
    open(my $l, '>>', $spec{inflight}) or die "open $spec{inflight}: $!\n";
    # Requests of the previous server of this state directory finish first (10 s at most).
    for (1 .. 100) {
      last if flock($l, 2 | 4);
      select(undef, undef, undef, 0.1);
    }
    close $l;
  }
  my $br = "/sys/class/net/$spec{bridge}";
  my $cmds = -e $br ? '' : "link add $spec{bridge} type bridge\n";
  # The bridge's MAC is set once, as the CNI bridge plugin and Docker do. Left to the kernel, a bridge takes the
  # lowest MAC among its ports, so it changed as pods came and went: each change flushed the host's neighbour
  # entries, and every pod kept sending to the old gateway MAC (answers to probes, DNS, Services) until its own
  # entry went stale, up to ~30 s later. 3 is NET_ADDR_SET: a MAC set by hand, which the bridge keeps.
  my $assigned = '';
  if (open(my $t, '<', "$br/addr_assign_type")) { $assigned = <$t> // ''; close $t; }
  chomp $assigned;
  if ($assigned ne '3') {
    # Locally administered, unicast.
    my @mac = map { int(rand(256)) } 1 .. 6;
    $mac[0] = ($mac[0] & 0xfc) | 0x02;
    $cmds .= "link set $spec{bridge} address " . join(':', map { sprintf('%02x', $_) } @mac) . "\n";
  }
  run_ip($cmds . "addr replace $spec{bridgeaddr} dev $spec{bridge}\nlink set $spec{bridge} up\n");
  close $lock;
  ctl("ok\n");
}

# sandbox: the pod's holder, like the pause container of other runtimes. It makes new network, UTS, IPC and
# mount namespaces, sets the hostname, mounts in its mount namespace what every container of the pod shares
# (a tmpfs on /dev/shm; /etc/hosts, /etc/resolv.conf, /etc/hostname), makes a veth pair whose host end joins
# the bridge, then stays, doing nothing, to keep the namespaces alive until the sandbox is torn down (SIGKILL).
# Containers enter its namespaces through /proc/<holder>/ns. Nothing of a pod is mounted in the host's mount
# namespace: with 1,000 pods, the host would have thousands of mounts, which every container's new mount
# namespace would copy, and to which every new mount would propagate.
# The sandbox's files come first and its record last, so a record on disk means a complete sandbox.
sub mode_sandbox {
  sc('setsid');
  make_paths();
  open(my $hostnet, '<', '/proc/self/ns/net') or die "open /proc/self/ns/net: $!\n";
  my $host = nl_open();
  my $announcer;
  my $bridge = defined $spec{veth} ? link_index($host, $spec{bridge}) : 0;
  # A spare network namespace (mode_netns) already has the Service rules: join it when its holder still runs.
  my $spare;
  if (defined $spec{netns}) {
    my $p = 0 + $spec{netns};
    if (open(my $ns, '<', "/proc/$p/ns/net")) {
      $spare = $ns if starttime($p) eq $spec{netnsstart};
    }
  }
  if ($spare) {
    sc('setns', 0 + fileno($spare), CLONE_NEWNET) == 0 or die "setns net of the spare network namespace: $!\n";
    close $spare;
    sc('unshare', CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS) == 0 or die "unshare(uts, ipc, mount): $!\n";
  } else {
    sc('unshare', CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS) == 0
      or die "unshare(net, uts, ipc, mount): $!\n";
  }
  # Else the pod's Service rules, in its new network namespace, while the rest is set up: nft costs more than
  # the rest of the sandbox, and the report waits for it (the first container must already reach Services).
  my ($nftpid, $nfterr) = defined $spec{nftfile} && !$spare ? spawn_nft() : ();
  my $h = "$spec{hostname}";
  sc('sethostname', $h, 0 + length($h)) == 0 or die "sethostname $h: $!\n";
  # Slave: nothing mounted here reaches the host.
  xmount(undef, '/', undef, MS_REC | MS_SLAVE, undef);
  xmount('shm', '/dev/shm', 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'mode=1777,size=65536k');
  for my $m (@{ $list{mount} || [] }) {
    my ($kind, $src, $tgt) = @$m;
    # A dangling link (a resolver that has not written its file yet): leave it, and the host's file alone.
    next if !-e $tgt && -l $tgt;
    bind_point($tgt, 0);
    xmount($src, $tgt, undef, MS_BIND, undef);
  }
  my $pod = nl_open();
  # The loopback device of a new network namespace has index 1.
  rtnl($pod, RTM_NEWLINK, 0, ifinfo(1, IFF_UP, IFF_UP), 'set lo up');
  # IPv4 only on eth0, as Docker does for a network without IPv6 (lo keeps ::1, set when it came up): else
  # every new pod's IPv6 duplicate-address and router probes are flooded by the bridge to every other pod.
  if (open(my $v6, '>', '/proc/sys/net/ipv6/conf/default/disable_ipv6')) {
    print $v6 "1\n";
    close $v6;
  }
  if (defined $spec{veth}) {
    my $v = $spec{veth};
    # eth0 here, its peer in the host's namespace (ip link add eth0 type veth peer name <v> netns <host>).
    my $peer = ifinfo(0, 0, 0) . nla(IFLA_IFNAME, "$v\0") . nla(IFLA_NET_NS_FD, pack('L', fileno($hostnet)));
    my $info = nla(1, 'veth') . nla(2, nla(1, $peer));
    rtnl($pod, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
      ifinfo(0, 0, 0) . nla(IFLA_IFNAME, "eth0\0") . nla(IFLA_LINKINFO, $info), "add veth eth0/$v");
    my $eth0 = link_index($pod, 'eth0');
    my ($addr, $prefix) = split m{/}, $spec{cidr};
    rtnl($pod, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
      pack('C C C C L', 2, $prefix, 0, 0, $eth0) . nla(2, ipv4($addr)) . nla(1, ipv4($addr)), "add address $spec{cidr}");
    rtnl($pod, RTM_NEWLINK, 0, ifinfo($eth0, IFF_UP, IFF_UP), 'set eth0 up');
    # main table, proto boot, scope universe, unicast; RTA_GATEWAY, RTA_OIF
    rtnl($pod, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
      pack('C8 L', 2, 0, 0, 0, 254, 3, 0, 1, 0) . nla(5, ipv4($spec{gateway})) . nla(4, pack('L', $eth0)),
      "add default route via $spec{gateway}");
    rtnl($host, RTM_NEWLINK, 0, ifinfo(0, IFF_UP, IFF_UP) . nla(IFLA_IFNAME, "$v\0") . nla(IFLA_MASTER, pack('L', $bridge)),
      "set $v master $spec{bridge} up");
    $announcer = announce_address($eth0, $addr);
  }
  close $hostnet;
  close $host;
  close $pod;
  # A failure of nft leaves the pod without Services, not without its sandbox: the report says so.
  my $nft = defined $nftpid ? wait_nft($nftpid, $nfterr) : '';
  my $me = "$$ " . starttime($$);
  claim_address($me);
  write_atomic($spec{holderfile}, "$me\n") or die "write $spec{holderfile}: $!\n";
  write_records();
  ctl("ok $me" . ($spare ? ' spare' : '') . ($nft eq '' ? '' : " nft $nft") . "\n");
  chdir '/';
  open(STDIN, '<', '/dev/null');
  $SIG{TERM} = 'IGNORE';
  $SIG{INT} = 'IGNORE';
  $SIG{HUP} = 'IGNORE';
  # Closed once the pod has its report (and the holder its signals set): closing a packet socket waits for the
  # network stack's RCU grace period (synchronize_net in packet_release), 10 to 20 ms here, longer than the
  # rest of the sandbox.
  close $announcer if $announcer;
  # Named for ps, keeping the state directory in it (how leftovers are found).
  $0 = $spec{title} if defined $spec{title};
  for (;;) { select(undef, undef, undef, 3600); }
}

# A gratuitous ARP from eth0, as the CNI bridge plugin sends one: the address may have been a pod's that is
# gone, and the host and the other pods would go on sending to that pod's MAC until their neighbour entries
# went stale (~30 s in which connections and probes to this pod time out). Best effort: a failure here leaves
# the pod as it was without it. Returns the socket, for the caller to close when the wait is off the pod's path.
sub announce_address {
  my ($ifindex, $ip) = @_;
  # AF_PACKET, SOCK_RAW, protocol 0: this socket only sends.
  socket(my $ps, 17, 3, 0) or return;
  # SOL_PACKET, PACKET_QDISC_BYPASS: eth0 came up a moment ago, and until the kernel's link watch has run (up
  # to a second later) its queue discipline is still the one that drops everything.
  setsockopt($ps, 263, 20, pack('i', 1));
  # SIOCGIFHWADDR: struct ifreq is the name (16 bytes) then a sockaddr whose data starts with the MAC.
  my $ifr = pack('a16 x24', 'eth0');
  if (!ioctl($ps, 0x8927, $ifr)) { close $ps; return; }
  my $mac = substr($ifr, 18, 6);
  my $all = "\xff" x 6;
  my $a = ipv4($ip);
  # Ethernet header, then an ARP request (Ethernet/IPv4) whose sender and target are this address.
  my $frame = $all . $mac . pack('n', 0x0806) . pack('n n C C n', 1, 0x0800, 6, 4, 1) . $mac . $a . ("\0" x 6) . $a;
  # struct sockaddr_ll: family, protocol, ifindex, hatype, pkttype, halen, addr[8].
  send($ps, $frame, 0, pack('S n i S C C a8', 17, 0x0806, $ifindex, 1, 0, 6, $all));
  return $ps;
}

# The holder names itself in its address's allocation file (ipam.ts), so that no podrun frees the address
# while it runs, whatever becomes of the state directory. The file must still be this sandbox's: a podrun
# frees the addresses of sandboxes whose holder never came once nothing of their state directory is in flight.
sub claim_address {
  my ($me) = @_;
  return unless defined $spec{ipamfile};
  my $f = $spec{ipamfile};
  open(my $fh, '+<', $f) or die "the allocation of the pod IP ($f) is gone: $!\n";
  my $have = '';
  sysread($fh, $have, 4096);
  substr($have, 0, length($spec{ipamowner})) eq $spec{ipamowner}
    or die "the pod IP's allocation ($f) belongs to another sandbox now\n";
  sysseek($fh, 0, 2);
  syswrite($fh, "holder $me\n") or die "write $f: $!\n";
  my $links = (stat($fh))[3];
  close $fh;
  die "the allocation of the pod IP ($f) was removed while the sandbox was made\n" unless $links;
}

# idle: of the in-flight locks given (one per state directory: see mode_serve), prints those no process holds,
# one a line: no podrun serves that state directory and no request of one is under way.
sub mode_idle {
  for my $p (@_) {
    if (!-e $p) { print "$p\n"; next; }
    open(my $l, '<', $p) or next;
    print "$p\n" if flock($l, 2 | 4);
    close $l;
  }
}

# netns: a spare network namespace for a pod to come, with the Service rules already in it (nft is the slowest
# part of a sandbox), made ahead of time. This process holds it until a holder has joined it (mode_sandbox) and
# podrun kills this process; it also dies with the server (PR_SET_PDEATHSIG), so no spare outlives podrun.
sub mode_netns {
  sc('prctl', 1, 9) == 0 or die "prctl(PR_SET_PDEATHSIG): $!\n";
  # Made between pods: the pods being started go first on a busy CPU (nft inherits the niceness).
  setpriority(0, 0, 10);
  sc('unshare', CLONE_NEWNET) == 0 or die "unshare(net): $!\n";
  my $err = wait_nft(spawn_nft());
  die "$err\n" if $err ne '';
  ctl("ok $$ " . starttime($$) . "\n");
  chdir '/';
  $0 = $spec{title} if defined $spec{title};
  for (;;) { select(undef, undef, undef, 3600); }
}

# nft: replaces the Service rules in a running pod's network namespace, its holder's; never in the host's.
sub mode_nft {
  my $holder = 0 + $spec{holder};
  open(my $ns, '<', "/proc/$holder/ns/net") or die "the pod's sandbox is gone (its holder, process $holder: $!)\n";
  starttime($holder) eq $spec{holderstart} or die "the pod's sandbox is gone (its holder, process $holder, ended)\n";
  my $host = (stat('/proc/self/ns/net'))[1];
  sc('setns', 0 + fileno($ns), CLONE_NEWNET) == 0 or die "setns net of the pod: $!\n";
  close $ns;
  my $now = (stat('/proc/self/ns/net'))[1];
  die "the pod's holder (process $holder) is in the host's network namespace: no rules applied\n"
    if !defined $now || !defined $host || $now == $host;
  my $err = wait_nft(spawn_nft());
  die "$err\n" if $err ne '';
  ctl("ok\n");
}

# teardown: deletes the veth pair (its holder has been killed by then) and removes the sandbox's files.
# Missing pieces are not errors.
sub mode_teardown {
  my $why = '';
  if (defined $spec{veth}) {
    my $ok = eval {
      rtnl(nl_open(), RTM_DELLINK, 0, ifinfo(0, 0, 0) . nla(IFLA_IFNAME, "$spec{veth}\0"), "delete $spec{veth}");
      1;
    };
    # Already gone with its namespace (a veth pair dies with either end): not an error.
    $why = $@ unless $ok || $@ =~ /No such device/;
  }
  rmtree($_) for @{ $list{rmtree} || [] };
  die $why if $why ne '';
  ctl("ok\n");
}

sub set_credentials {
  my @groups = map { 0 + $_ } grep { length } split /,/, (defined $spec{groups} ? $spec{groups} : '');
  my $packed = pack('L*', @groups);
  $packed = "\0" x 4 unless @groups;
  sc('setgroups', 0 + scalar(@groups), $packed) == 0 or die "setgroups: $!\n";
  my ($g, $u) = (0 + $spec{gid}, 0 + $spec{uid});
  sc('setresgid', $g, $g, $g) == 0 or die "setresgid $g: $!\n";
  sc('setresuid', $u, $u, $u) == 0 or die "setresuid $u: $!\n";
}

sub set_env {
  %ENV = ();
  for my $kv (@{ $list{env} || [] }) {
    my $i = index($kv, '=');
    next if $i < 1;
    $ENV{ substr($kv, 0, $i) } = substr($kv, $i + 1);
  }
}

# A zygote (mode_zygote) joined its groups ahead of its request: the container's process inherits them.
my $JOINED = 0;
# Moves this process into the container's groups. On cgroup v1 it writes 0 to the group's `tasks`, which moves
# the calling thread only: the kernel does that without taking its global threadgroup lock for writing, whose
# RCU grace period made every write to cgroup.procs cost 5-15 ms (most of an exec's time on the server). This
# process has one thread, so the result is the same, and what it forks or execs inherits the groups. cgroup v2
# has no such file outside threaded groups: there cgroup.procs it is.
sub join_cgroups {
  return if $JOINED;
  for my $procs (@{ $list{cgroup} || [] }) {
    (my $tasks = $procs) =~ s{/cgroup\.procs$}{/tasks};
    my $file = ($tasks ne $procs && -e $tasks) ? $tasks : $procs;
    open(my $fh, '>', $file) or die "join cgroup $file: $!\n";
    print $fh "0\n";
    close($fh) or die "join cgroup $file: $!\n";
  }
}

# A path inside the container's root as the host reaches it, with symlinks followed relative to that root (as
# runc's securejoin): an image's /var/run -> /run link must not send a mount to the host's /run.
sub in_root {
  my ($root, $path) = @_;
  my @todo = grep { length && $_ ne '.' } split m{/}, $path;
  my @done;
  my $links = 0;
  while (@todo) {
    my $c = shift @todo;
    if ($c eq '..') { pop @done; next; }
    my $p = join('/', $root, @done, $c);
    if (-l $p) {
      die "resolving $path in the container's root: too many levels of symbolic links\n" if ++$links > 255;
      my $t = readlink($p);
      @done = () if substr($t, 0, 1) eq '/';
      unshift @todo, grep { length && $_ ne '.' } split m{/}, $t;
      next;
    }
    push @done, $c;
  }
  return join('/', $root, @done);
}

# A minimal /dev, as runc makes one: a tmpfs with the usual devices (made with mknod, as runc does outside a
# user namespace: one call each, where a bind from the host's took three), a private devpts, the pod's
# /dev/shm, an mqueue and the /proc links.
my @DEVICES = ([ 'null', 1, 3 ], [ 'zero', 1, 5 ], [ 'full', 1, 7 ], [ 'random', 1, 8 ], [ 'urandom', 1, 9 ], [ 'tty', 5, 0 ]);
sub setup_dev {
  my ($root) = @_;
  my $dev = in_root($root, '/dev');
  mkpath($dev);
  xmount('tmpfs', $dev, 'tmpfs', MS_NOSUID, 'mode=755,size=65536k');
  # runc clears the umask for them: the nodes are 0666 whatever the shim's umask.
  my $mask = umask(0);
  for my $d (@DEVICES) {
    my ($n, $major, $minor) = @$d;
    # makedev(3) for numbers below 256, and S_IFCHR | 0666; AT_FDCWD is -100.
    my $path = "$dev/$n";
    sc('mknodat', -100, $path, 0020666, ($major << 8) | $minor) == 0 or die "mknod $path: $!\n";
  }
  umask($mask);
  mkpath("$dev/pts");
  xmount('devpts', "$dev/pts", 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=0620,gid=5');
  mkpath("$dev/shm");
  xmount('/dev/shm', "$dev/shm", undef, MS_BIND | MS_REC, undef);
  mkpath("$dev/mqueue");
  xmount('mqueue', "$dev/mqueue", 'mqueue', MS_NOSUID | MS_NODEV | MS_NOEXEC, undef);
  my %links = (ptmx => 'pts/ptmx', fd => '/proc/self/fd', stdin => '/proc/self/fd/0', stdout => '/proc/self/fd/1',
    stderr => '/proc/self/fd/2', core => '/proc/kcore');
  for my $n (sort keys %links) { symlink($links{$n}, "$dev/$n") or die "symlink $dev/$n: $!\n"; }
}

# The image's volumes the pod does not mount: each a directory of the container's, filled with what the image
# has there (containerd's WithVolumes), then bound in place.
sub image_volumes {
  my ($root) = @_;
  for my $v (@{ $list{imgvolume} || [] }) {
    my ($hostdir, $path) = @$v;
    my $t = in_root($root, $path);
    if (-d $t) {
      system('/bin/cp', '-a', '--', "$t/.", "$hostdir/") == 0
        or die "copying the image's contents of volume $path: cp exited with " . ($? >> 8) . "\n";
    } else {
      mkpath($t);
    }
    xmount($hostdir, $t, undef, MS_BIND | MS_REC, undef);
  }
}

# runc's pivotRoot: the old root is stacked on the new one by pivot_root(".", "."), then detached.
sub enter_root {
  my ($root) = @_;
  chdir($root) or die "chdir to the container's root $root: $!\n";
  my ($new, $old) = ('.', '.');
  sc('pivot_root', $new, $old) == 0 or die "pivot_root into $root: $!\n";
  xmount(undef, '.', undef, MS_SLAVE | MS_REC, undef);
  my $dot = '.';
  sc('umount2', $dot, 2) == 0 or die "detaching the host's root: $!\n";
  chdir('/') or die "chdir /: $!\n";
}

# exec.LookPath as runc does it in the container: a bare name is searched in the process's PATH.
sub look_path {
  my ($name) = @_;
  return $name if index($name, '/') >= 0;
  for my $d (split /:/, (defined $ENV{PATH} ? $ENV{PATH} : ''), -1) {
    my $p = ($d eq '' ? '.' : $d) . "/$name";
    return $p if -f $p && -x _;
  }
  die "exec: \"$name\": executable file not found in \$PATH\n";
}

# A bind's mount point: a directory for a directory, else a file (with its directory).
sub bind_point {
  my ($tgt, $isdir) = @_;
  if ($isdir) { mkpath($tgt); return; }
  return if -e $tgt;
  my $parent = $tgt;
  $parent =~ s{/[^/]*$}{};
  mkpath($parent);
  open(my $fh, '>>', $tgt) or die "create mount point $tgt: $!\n";
  close $fh;
}

# mountpoints: makes, in an overlay of the image with a fresh upper directory, every mount point a container's
# start would make (what container_setup creates in the root before it mounts), and nothing else: that upper
# directory then serves as the topmost lower layer of the containers with these mounts (Docker's init layer),
# whose starts then find their mount points made instead of copying up and creating ~10 entries each.
sub mode_mountpoints {
  sc('unshare', CLONE_NEWNS) == 0 or die "unshare(mount): $!\n";
  xmount(undef, '/', undef, MS_REC | MS_SLAVE, undef);
  my $root = $spec{rootfs};
  if (defined $spec{overlaycwd}) { chdir($spec{overlaycwd}) or die "chdir $spec{overlaycwd}: $!\n"; }
  xmount('overlay', $root, 'overlay', 0, $spec{overlay});
  chdir('/');
  mkpath(in_root($root, $_)) for '/proc', '/sys', '/dev';
  for my $v (@{ $list{imgvolume} || [] }) {
    my $t = in_root($root, $v->[1]);
    mkpath($t) unless -d $t;
  }
  for my $m (@{ $list{mount} || [] }) {
    my ($kind, $src, $tgt) = @$m;
    $tgt = in_root($root, $tgt);
    if ($kind eq 'tmpfs') { mkpath($tgt); }
    else { bind_point($tgt, -d $src); }
  }
  if (defined $spec{cwd}) {
    my $cwd = in_root($root, $spec{cwd});
    mkpath($cwd) unless -d $cwd;
  }
  ctl("ok\n");
}

# Runs as the first process of the container's PID namespace, before exec.
sub container_setup {
  my ($outW, $errW, $inR, $ptyW, $ptyR) = @_;
  join_cgroups();
  sc('setsid');
  # The pod's namespaces, from its holder; all opened before entering any (/proc is the host's until then).
  my $holder = 0 + $spec{holder};
  my %ns;
  for my $t ('ipc', 'uts', 'net', 'mnt') {
    open($ns{$t}, '<', "/proc/$holder/ns/$t") or die "the pod's sandbox is gone (its holder, process $holder: $!)\n";
  }
  starttime($holder) eq $spec{holderstart} or die "the pod's sandbox is gone (its holder, process $holder, ended)\n";
  my %type = (ipc => CLONE_NEWIPC, uts => CLONE_NEWUTS, net => CLONE_NEWNET, mnt => CLONE_NEWNS);
  for my $t ('ipc', 'uts', 'net', 'mnt') {
    sc('setns', 0 + fileno($ns{$t}), 0 + $type{$t}) == 0 or die "setns $t of the pod: $!\n";
    close $ns{$t};
  }
  # A mount namespace of its own, copied from the pod's (with its /dev/shm and /etc files).
  sc('unshare', CLONE_NEWNS) == 0 or die "unshare(mount): $!\n";
  xmount(undef, '/', undef, MS_REC | MS_SLAVE, undef);
  # An image's container: its overlay root, mounted in this namespace only, so it ends with the container.
  my $root = $spec{rootfs};
  if (defined $root) {
    if (defined $spec{overlaycwd}) { chdir($spec{overlaycwd}) or die "chdir $spec{overlaycwd}: $!\n"; }
    xmount('overlay', $root, 'overlay', 0, $spec{overlay});
    chdir('/');
  }
  my $at = sub { defined $root ? in_root($root, $_[0]) : $_[0] };
  # Hold every bind source open (O_PATH) before mounting anything (a tmpfs on /tmp must not hide a
  # source below it), and only now: a bind source must belong to this mount namespace.
  my @mounts;
  for my $m (@{ $list{mount} || [] }) {
    my ($kind, $src, $tgt, $opt) = @$m;
    my ($fh, $isdir);
    if ($kind ne 'tmpfs') {
      sysopen($fh, $src, O_PATH) or die "open mount source $src: $!\n";
      $isdir = -d $src;
    }
    push @mounts, [ $kind, $src, $tgt, $opt, $fh, $isdir ];
  }
  for my $fs ([ 'proc', '/proc', MS_NOSUID | MS_NODEV | MS_NOEXEC ], [ 'sysfs', '/sys', MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY ]) {
    my $t = $at->($fs->[1]);
    mkpath($t) if defined $root;
    xmount($fs->[0], $t, $fs->[0], $fs->[2], undef);
  }
  if (defined $root) {
    setup_dev($root);
    image_volumes($root);
  }
  my @ro;
  for my $m (@mounts) {
    my ($kind, $src, $tgt, $opt, $fh, $isdir) = @$m;
    $tgt = $at->($tgt);
    if ($kind eq 'tmpfs') {
      mkpath($tgt);
      xmount('tmpfs', $tgt, 'tmpfs', MS_NOSUID | MS_NODEV, $src);
    } else {
      bind_point($tgt, $isdir);
      xmount('/proc/self/fd/' . fileno($fh), $tgt, undef, MS_BIND | MS_REC, undef);
      close $fh;
    }
    push @ro, $tgt if $opt eq 'ro';
  }
  # Read-only remounts come last, so that mount points inside read-only places could still be created.
  push @ro, map { $at->($_) } @{ $list{remountro} || [] };
  push @ro, $at->('/') if $spec{rootro};
  xmount(undef, $_, undef, MS_REMOUNT | MS_BIND | MS_RDONLY, undef) for @ro;
  enter_root($root) if defined $root;
  if (defined $ptyW) {
    # The shim opens the pseudo-terminal through this process's root (so in the container's devpts) and says
    # its number; the terminal becomes this process's controlling terminal and stdio.
    syswrite($ptyW, "pty\n");
    close $ptyW;
    my $n = '';
    while (sysread($ptyR, my $c, 64)) { $n .= $c; last if index($n, "\n") >= 0; }
    close $ptyR;
    die "the shim opened no pseudo-terminal\n" unless $n =~ /^(\d+)\n/;
    take_pty($1);
  } else {
    if (defined $inR) { open(STDIN, '<&', $inR) or die "dup stdin: $!\n"; close $inR; }
    else { open(STDIN, '<', '/dev/null') or die "open /dev/null: $!\n"; }
    open(STDOUT, '>&', $outW) or die "dup stdout: $!\n";
    open(STDERR, '>&', $errW) or die "dup stderr: $!\n";
  }
  my $cwd = defined $spec{cwd} ? $spec{cwd} : '/';
  # runc makes a missing working directory (as root, before the user is taken).
  mkpath($cwd) if defined $root && !-d $cwd;
  chdir($cwd) or die "chdir to cwd (\"$cwd\") set in config.json failed: $!\n";
  set_credentials();
  set_env();
  # The shim ignores SIGPIPE, and an ignored signal stays ignored across execve: give the container the default.
  $SIG{PIPE} = 'DEFAULT';
  my @argv = @{ $list{argv} || [] };
  my $exe = defined $spec{exe} ? $spec{exe} : look_path($argv[0]);
  exec { $exe } @argv;
  die "exec: \"$argv[0]\": $!\n";
}

my ($logfh, $logsize) = (undef, 0);
sub open_log {
  if (!open($logfh, '>>', $spec{log})) { open($logfh, '>', '/dev/null'); }
  binmode $logfh;
  $logsize = -s $logfh || 0;
}
# Appends CRI records, rotating by size between records: <log> becomes <log>.1, <log>.1 becomes <log>.2, …
sub log_write {
  my (@recs) = @_;
  my $pending = '';
  for my $r (@recs) {
    if ($logsize > 0 && $logsize + length($r) > $spec{maxlogsize}) {
      write_all($pending);
      $pending = '';
      close $logfh;
      my $p = $spec{log};
      for (my $i = $spec{maxlogfiles} - 1; $i >= 2; $i--) {
        rename("$p." . ($i - 1), "$p.$i") if -e "$p." . ($i - 1);
      }
      rename($p, "$p.1");
      open_log();
    }
    $pending .= $r;
    $logsize += length $r;
  }
  write_all($pending);
}
sub write_all {
  my ($data) = @_;
  my $off = 0;
  while ($off < length $data) {
    my $w = syswrite($logfh, $data, length($data) - $off, $off);
    last unless defined $w && $w > 0;
    $off += $w;
  }
}

my %buf = (stdout => '', stderr => '');
sub emit_lines {
  my ($s, $ts) = @_;
  my @out;
  for (;;) {
    my $i = index($buf{$s}, "\n");
    # Like containerd, a line's "\r\n" ending is dropped whole.
    my $len = ($i > 0 && substr($buf{$s}, $i - 1, 1) eq "\r") ? $i - 1 : $i;
    if ($i >= 0 && $len <= MAXLINE) {
      push @out, "$ts $s F " . substr($buf{$s}, 0, $len) . "\n";
      substr($buf{$s}, 0, $i + 1) = '';
    } elsif (length($buf{$s}) > MAXLINE) {
      push @out, "$ts $s P " . substr($buf{$s}, 0, MAXLINE) . "\n";
      substr($buf{$s}, 0, MAXLINE) = '';
    } else {
      last;
    }
  }
  log_write(@out) if @out;
}

# The one-line report of a request. Under serve, it goes to the shared report pipe as "<request id> <text>",
# escaped to one line and short enough (< PIPE_BUF) that concurrent reports never interleave.
my $REQ;
# The in-flight lock: the server holds it shared, and so does each child (through the inherited descriptor)
# until it has written its records and reported. A restarted podrun takes it exclusively before reading the
# records (mode_prepare), so a request begun by the previous podrun is finished, or never begun, by then.
my $INFLIGHT;
sub ctl {
  my ($msg) = @_;
  if (defined $REQ) {
    $msg =~ s/\s+$//;
    $msg = substr($msg, 0, 1800) . ' ...' if length($msg) > 1800;
    $msg =~ s/\\/\\\\/g;
    $msg =~ s/\n/\\n/g;
    syswrite(STDOUT, "$REQ $msg\n");
    if ($INFLIGHT) {
      close $INFLIGHT;
      undef $INFLIGHT;
    }
  } else {
    syswrite(STDOUT, $msg);
  }
  open(STDOUT, '>', '/dev/null');
}

sub finish {
  my (%r) = @_;
  my $oom = 0;
  for my $f (@{ $list{oomfile} || [] }) {
    my $d = eval { slurp($f) };
    $oom = 1 if defined $d && $d =~ /^oom_kill (\d+)/m && $1 > 0;
  }
  my $rmdirs = sub {
    for my $d (@{ $list{rmdir} || [] }) {
      for (1 .. 50) {
        last if rmdir($d) || !-d $d;
        select(undef, undef, undef, 0.02);
      }
    }
  };
  # A zygote's shim is in the groups itself: it records the exit first, then leaves them (a move that waits
  # for an RCU grace period on cgroup v1, so not before the record) and removes them.
  $rmdirs->() unless $JOINED;
  my ($s, $ns) = now_ns();
  my $json = '{"exitCode":' . $r{code} . ',"signal":' . $r{signal}
    . ',"finishedAt":' . ($s * 1000 + int($ns / 1000000)) . ',"finishedAtRfc3339":' . jstr(rfc3339nano($s, $ns))
    . ',"oomKilled":' . ($oom ? 'true' : 'false')
    . ',"startError":' . (defined $r{startError} ? jstr($r{startError}) : 'null') . "}\n";
  write_atomic($spec{exitfile}, $json);
  if ($JOINED) {
    for my $procs (@{ $list{cgroupout} || [] }) {
      if (open(my $fh, '>', $procs)) { print $fh "0\n"; close $fh; }
    }
    $rmdirs->();
  }
}

# Attaching (`kubectl attach`, `run -i`): the shim listens on a unix socket at $spec{attach}. Clients get the
# container's output as frames (type u8: 1 stdout, 2 stderr; length u32; bytes) from when they connect, and
# send frames of their own: 0 stdin bytes, 3 stdin closed (with stdinonce and no tty, the container's closes),
# 4 resize "<rows> <cols>". Writes never block the shim: a client that falls 4 MiB behind is dropped.
sub F_GETFL () { 3 }
sub F_SETFL () { 4 }
sub O_NONBLOCK () { 0x800 }
sub nonblocking { my $f = fcntl($_[0], F_GETFL, 0); fcntl($_[0], F_SETFL, (0 + $f) | O_NONBLOCK) if defined $f; }

sub attach_open {
  my ($in, $master) = @_;
  return undef unless defined $spec{attach};
  unlink $spec{attach};
  socket(my $l, 1, 1, 0) or return undef;
  bind($l, pack('S Z*', 1, $spec{attach})) or return undef;
  chmod(0600, $spec{attach});
  listen($l, 16) or return undef;
  nonblocking($l);
  nonblocking($in) if $in;
  return { listen => $l, in => $in, master => $master, pending => '', clients => [] };
}

sub attach_select {
  my ($a, $rin, $win) = @_;
  vec($$rin, fileno($a->{listen}), 1) = 1;
  for my $c (@{ $a->{clients} }) {
    # No more input is read while the container has not taken the last (its stdin is full).
    vec($$rin, fileno($c->{fh}), 1) = 1 unless length $a->{pending};
    vec($$win, fileno($c->{fh}), 1) = 1 if length $c->{out};
  }
  vec($$win, fileno($a->{in}), 1) = 1 if $a->{in} && length $a->{pending};
}

sub attach_drop {
  my ($a, $c) = @_;
  close $c->{fh};
  $c->{dead} = 1;
  $a->{clients} = [ grep { $_ != $c } @{ $a->{clients} } ];
}

sub attach_flush {
  my ($a, $c) = @_;
  my $w = syswrite($c->{fh}, $c->{out});
  if (defined $w) { substr($c->{out}, 0, $w) = ''; }
  elsif ($! != EAGAIN && $! != EINTR) { attach_drop($a, $c); }
}

sub attach_out {
  my ($a, $type, $data) = @_;
  for my $c (@{ $a->{clients} }) {
    next if $c->{dead};
    $c->{out} .= pack('C N', $type, length $data) . $data;
    if (length($c->{out}) > 4 * 1024 * 1024) { attach_drop($a, $c); next; }
    attach_flush($a, $c);
  }
}

sub attach_input {
  my ($a, $data) = @_;
  return unless $a->{in};
  $a->{pending} .= $data;
  my $w = syswrite($a->{in}, $a->{pending});
  if (defined $w) { substr($a->{pending}, 0, $w) = ''; }
  elsif ($! != EAGAIN && $! != EINTR) {
    # The container closed its stdin: what it would not read is dropped.
    $a->{pending} = '';
    close $a->{in} unless $a->{master};
    $a->{in} = undef;
  }
}

sub attach_io {
  my ($a, $rout, $wout) = @_;
  if (vec($rout, fileno($a->{listen}), 1)) {
    if (accept(my $c, $a->{listen})) {
      nonblocking($c);
      push @{ $a->{clients} }, { fh => $c, in => '', out => '' };
    }
  }
  if ($a->{in} && length $a->{pending} && vec($wout, fileno($a->{in}), 1)) { attach_input($a, ''); }
  for my $c (@{ $a->{clients} }) {
    attach_flush($a, $c) if length $c->{out} && vec($wout, fileno($c->{fh}), 1);
    next if $c->{dead};
    next unless vec($rout, fileno($c->{fh}), 1);
    my $r = sysread($c->{fh}, my $data, 65536);
    next if !defined $r && ($! == EAGAIN || $! == EINTR);
    if (!$r) { attach_drop($a, $c); next; }
    $c->{in} .= $data;
    while (length($c->{in}) >= 5) {
      my ($type, $len) = unpack('C N', $c->{in});
      last if length($c->{in}) < 5 + $len;
      my $body = substr($c->{in}, 5, $len);
      substr($c->{in}, 0, 5 + $len) = '';
      if ($type == 0) { attach_input($a, $body); }
      elsif ($type == 4 && $a->{master}) { my ($rows, $cols) = split / /, $body; set_winsize($a->{master}, 0 + $rows, 0 + $cols); }
      elsif ($type == 3 && $spec{stdinonce} && $a->{in} && !$a->{master}) {
        # The first attachment's stdin ended: so does the container's (not a terminal's, as containerd).
        close $a->{in};
        $a->{in} = undef;
        $a->{pending} = '';
      }
    }
  }
}

sub attach_close {
  my ($a) = @_;
  for my $c (@{ $a->{clients} }) {
    # What is still queued goes out before the end (the client reads it at once: a short wait at most).
    for (1 .. 50) {
      last unless length $c->{out};
      my $w = '';
      vec($w, fileno($c->{fh}), 1) = 1;
      select(undef, $w, undef, 0.1);
      attach_flush($a, $c);
    }
    # The end as a FIN, then what the client still sends (its stdin's close, crossing ours) is read until its
    # own end: a unix socket closed with bytes unread resets the connection, and the client, failing its next
    # read or write, would lose the output still in its buffer (`kubectl run -i` missing the last lines).
    shutdown($c->{fh}, 1);
    for (1 .. 20) {
      my $r = '';
      vec($r, fileno($c->{fh}), 1) = 1;
      last unless select($r, undef, undef, 0.05);
      my $n = sysread($c->{fh}, my $rest, 65536);
      next if !defined $n && ($! == EAGAIN || $! == EINTR);
      last unless $n;
    }
    close $c->{fh};
  }
  close $a->{listen};
  unlink $spec{attach};
}

# start: the container's parent for its whole life, in a session of its own (podrun and the server may go).
sub mode_start {
  sc('setsid');
  make_paths();
  write_records();
  open_log();
  pipe(my $outR, my $outW) or die "pipe: $!\n";
  pipe(my $errR, my $errW) or die "pipe: $!\n";
  pipe(my $synR, my $synW) or die "pipe: $!\n";
  my ($inR, $inW, $ptyR, $ptyW, $goR, $goW);
  pipe($inR, $inW) or die "pipe: $!\n" if $spec{stdin} && !$spec{tty};
  if ($spec{tty}) { pipe($ptyR, $ptyW) or die "pipe: $!\n"; pipe($goR, $goW) or die "pipe: $!\n"; }
  my $pid;
  # A new PID namespace, or (an ephemeral container with a target) the target container's: the fork below
  # is then one more process among the target's.
  my $pidErr;
  if (defined $spec{pidtarget}) {
    my $t = 0 + $spec{pidtarget};
    if (!open(my $pidns, '<', "/proc/$t/ns/pid") or starttime($t) ne $spec{pidtargetstart}) {
      $pidErr = "the target container's process $t is gone";
    } elsif (sc('setns', 0 + fileno($pidns), CLONE_NEWPID) != 0) {
      $pidErr = "setns pid of the target container: $!";
    }
  } elsif (sc('unshare', CLONE_NEWPID) != 0) {
    $pidErr = "unshare(pid): $!";
  }
  if (defined $pidErr) {
    finish(code => 128, signal => 0, startError => $pidErr);
    ctl("err $pidErr\n");
    exit 0;
  }
  $pid = fork();
  if (defined $pid && $pid == 0) {
    close $outR; close $errR; close $synR;
    close $inW if $inW;
    if ($ptyR) { close $ptyR; close $goW; }
    eval { container_setup($outW, $errW, $inR, $ptyW, $goR); };
    my $e = $@ || "exec failed: $!\n";
    syswrite($synW, $e);
    exit 128;
  }
  close $outW; close $errW; close $synW;
  close $inR if $inR;
  # A zygote's shim shares the container's groups (the container inherited them from it): the kernel's OOM
  # killer, and cgroup v2's group kill, must spare it (they skip -1000), so that the exit is still recorded.
  if ($JOINED && open(my $adj, '>', '/proc/self/oom_score_adj')) { print $adj "-1000\n"; close $adj; }
  my $master;
  if ($ptyW) {
    close $ptyW; close $goR;
    my $ready = '';
    while (sysread($ptyR, my $c, 64)) { $ready .= $c; last if index($ready, "\n") >= 0; }
    close $ptyR;
    if ($ready eq "pty\n") {
      my $n;
      if (eval { ($master, $n) = open_pty("/proc/$pid/root/dev/ptmx"); 1 }) { syswrite($goW, "$n\n"); }
      else { syswrite($goW, "none $@"); }
    }
    close $goW;
  }
  if (!defined $pid) {
    my $e = "fork: $!";
    finish(code => 128, signal => 0, startError => $e);
    ctl("err $e\n");
    exit 0;
  }
  # The sync pipe is close-on-exec: EOF without data means the container's command is running.
  my $msg = '';
  while (sysread($synR, my $chunk, 4096)) { $msg .= $chunk; }
  close $synR;
  if (length $msg) {
    waitpid($pid, 0);
    $msg =~ s/\s+$//;
    finish(code => 128, signal => 0, startError => $msg);
    ctl("err $msg\n");
    exit 0;
  }
  # Listening before the start is reported: an attach may follow at once.
  my $att = attach_open($master ? $master : $inW, $master);
  my ($ss, $sns) = now_ns();
  my $report = "ok $pid " . starttime($pid) . " $$ " . starttime($$) . ' ' . ($ss * 1000 + int($sns / 1000000)) . "\n";
  # Also on disk: if podrun dies before reading the report, a restarted podrun still learns of this start.
  write_atomic($spec{startedfile}, $report) if defined $spec{startedfile};
  ctl($report);
  $0 = $spec{title} if defined $spec{title};

  my %fh = (stdout => $outR, stderr => $errR);
  if ($master) { close $outR; close $errR; %fh = (stdout => $master); }
  my ($status, $reaped_at);
  while (%fh) {
    my $rin = '';
    vec($rin, fileno($fh{$_}), 1) = 1 for keys %fh;
    my $win = '';
    attach_select($att, \$rin, \$win) if $att;
    my $n = select(my $rout = $rin, my $wout = $win, undef, defined $status ? 0.2 : 1.0);
    attach_io($att, $rout, $wout) if $att && $n && $n > 0;
    if ($n && $n > 0) {
      my ($s, $ns) = now_ns();
      my $ts = rfc3339nano($s, $ns);
      # Both ready at once: which came first is unknown; stdout first (not hash order) at least is stable.
      for my $stream (grep { exists $fh{$_} } 'stdout', 'stderr') {
        next unless vec($rout, fileno($fh{$stream}), 1);
        my $r = sysread($fh{$stream}, my $data, 65536);
        next if !defined $r && ($! == EINTR || $! == EAGAIN);
        if (!$r) {
          emit_lines($stream, $ts);
          if (length $buf{$stream}) { log_write("$ts $stream P $buf{$stream}\n"); $buf{$stream} = ''; }
          close $fh{$stream};
          delete $fh{$stream};
          next;
        }
        $buf{$stream} .= $data;
        attach_out($att, $stream eq 'stdout' ? 1 : 2, $data) if $att;
        emit_lines($stream, $ts);
      }
    }
    if (!defined $status) {
      if (waitpid($pid, WNOHANG) == $pid) { $status = $?; $reaped_at = time(); }
    } elsif (time() - $reaped_at > 2) {
      last;  # something outside the PID namespace still holds the pipes
    }
  }
  if (!defined $status) { waitpid($pid, 0); $status = $?; }
  my ($code, $sig) = (0, 0);
  if ($status & 127) { $sig = $status & 127; $code = 128 + $sig; } else { $code = $status >> 8; }
  finish(code => $code, signal => $sig);
  attach_close($att) if $att;
  exit 0;
}

# exec: runs a command inside a running container's namespaces, as its user, with its environment.
sub mode_exec {
  open(STDIN, '<', '/dev/null');
  my $target = 0 + $spec{pid};
  my @order = ([ 'ipc', CLONE_NEWIPC ], [ 'uts', CLONE_NEWUTS ], [ 'net', CLONE_NEWNET ], [ 'pid', CLONE_NEWPID ], [ 'mnt', CLONE_NEWNS ]);
  my %fd;
  # Join the container's cgroups while the host's /sys is still visible; the command inherits them.
  eval { join_cgroups(); 1 } or do { print STDERR $@; exit 126; };
  for my $o (@order) {
    open($fd{ $o->[0] }, '<', "/proc/$target/ns/$o->[0]") or do { print STDERR "container process $target is gone: $!\n"; exit 126; };
  }
  for my $o (@order) {
    sc('setns', 0 + fileno($fd{ $o->[0] }), 0 + $o->[1]) == 0 or do { print STDERR "setns $o->[0]: $!\n"; exit 126; };
    close $fd{ $o->[0] };
  }
  my $child = fork();
  if (defined $child && $child == 0) {
    eval {
      my $cwd = defined $spec{cwd} ? $spec{cwd} : '/';
      chdir($cwd) or chdir('/');
      set_credentials();
      set_env();
      $SIG{PIPE} = 'DEFAULT';
      my @argv = @{ $list{argv} || [] };
      my $exe = defined $spec{exe} ? $spec{exe} : look_path($argv[0]);
      exec { $exe } @argv;
      die "exec: \"$argv[0]\": $!\n";
    };
    print STDERR $@;
    exit($@ =~ /No such file|not found in/ ? 127 : 126);
  }
  $SIG{TERM} = sub { kill 'KILL', $child if $child; };
  waitpid($child, 0);
  my $st = $?;
  exit(($st & 127) ? 128 + ($st & 127) : $st >> 8);
}

# Terminals, with core Perl only (no IO::Pty): ioctl numbers of x86-64 and arm64, hard-coded because
# sys/ioctl.ph gets TIOCSPTLCK and TIOCGPTN wrong.
sub TIOCSPTLCK () { 0x40045431 }
sub TIOCGPTN () { 0x80045430 }
sub TIOCSCTTY () { 0x540E }
sub TIOCSWINSZ () { 0x5414 }
sub O_RDWR () { 2 }
sub O_NOCTTY () { 0x100 }

# Opens a new pseudo-terminal through the ptmx at $ptmx (the container's devpts instance, so that the slave is
# /dev/pts/N inside it); returns the master and N.
sub open_pty {
  my ($ptmx) = @_;
  sysopen(my $m, $ptmx, O_RDWR | O_NOCTTY) or die "open $ptmx: $!\n";
  my $unlock = pack('i', 0);
  ioctl($m, TIOCSPTLCK, $unlock) or die "unlock the pseudo-terminal: $!\n";
  my $n = pack('I', 0);
  ioctl($m, TIOCGPTN, $n) or die "number of the pseudo-terminal: $!\n";
  return ($m, unpack('I', $n));
}

# In a new session: makes /dev/pts/N (opened in the caller's root) the controlling terminal and stdio.
sub take_pty {
  my ($n) = @_;
  sc('setsid');
  sysopen(my $s, "/dev/pts/$n", O_RDWR) or die "open /dev/pts/$n: $!\n";
  # The process's own terminal, as runc makes it: a program that reopens it by name (ttyname) may.
  chown(0 + $spec{uid}, 0 + $spec{gid}, $s) if defined $spec{uid};
  my $zero = 0;
  ioctl($s, TIOCSCTTY, $zero) or die "make /dev/pts/$n the controlling terminal: $!\n";
  open(STDIN, '<&', $s) or die "dup stdin: $!\n";
  open(STDOUT, '>&', $s) or die "dup stdout: $!\n";
  open(STDERR, '>&', $s) or die "dup stderr: $!\n";
  close $s;
}

sub set_winsize {
  my ($m, $rows, $cols) = @_;
  return unless $rows > 0 && $cols > 0;
  my $ws = pack('S4', $rows, $cols, 0, 0);
  ioctl($m, TIOCSWINSZ, $ws);
}

# Writes all of $data to a blocking descriptor; false when the other end is gone.
sub put_all {
  my ($fh, $data) = @_;
  my $off = 0;
  while ($off < length $data) {
    my $w = syswrite($fh, $data, length($data) - $off, $off);
    if (!defined $w) { next if $! == EINTR || $! == EAGAIN; return 0; }
    $off += $w;
  }
  return 1;
}

# execstream: `kubectl exec`. Like exec, but the command's stdio is the shim's own 0-2 (or, with a tty, a
# pseudo-terminal the shim relays), and fd 3 is a socket to podrun carrying, in, "<length>\n<spec>" then
# "<rows> <cols>\n" resize records, and out, "ok" once the command runs (or "err <why>" when it cannot start)
# and "exit <code>" at its end.
sub mode_execstream {
  open(my $ctl, '+<&=', 3) or die "podrun-shim execstream: fd 3: $!\n";
  my $in = '';
  my $need;
  for (;;) {
    if (!defined $need && (my $nl = index($in, "\n")) >= 0) {
      $need = 0 + substr($in, 0, $nl);
      substr($in, 0, $nl + 1) = '';
    }
    last if defined $need && length($in) >= $need;
    my $r = sysread($ctl, my $chunk, 65536);
    next if !defined $r && $! == EINTR;
    exit 126 unless $r;
    $in .= $chunk;
  }
  parse_spec(substr($in, 0, $need));
  substr($in, 0, $need) = '';
  my $report = sub { put_all($ctl, $_[0]); };
  my $fail = sub { $report->("err $_[0]\n"); exit 126; };
  my $tty = $spec{tty};
  my $target = 0 + $spec{pid};
  my @order = ([ 'ipc', CLONE_NEWIPC ], [ 'uts', CLONE_NEWUTS ], [ 'net', CLONE_NEWNET ], [ 'pid', CLONE_NEWPID ], [ 'mnt', CLONE_NEWNS ]);
  my %fd;
  eval { join_cgroups(); 1 } or $fail->($@);
  for my $o (@order) {
    open($fd{ $o->[0] }, '<', "/proc/$target/ns/$o->[0]") or $fail->("container process $target is gone: $!");
  }
  for my $o (@order) {
    sc('setns', 0 + fileno($fd{ $o->[0] }), 0 + $o->[1]) == 0 or $fail->("setns $o->[0]: $!");
    close $fd{ $o->[0] };
  }
  my ($master, $ptn);
  if ($tty) {
    eval { ($master, $ptn) = open_pty('/dev/ptmx'); 1 } or $fail->($@);
    set_winsize($master, 0 + $spec{rows}, 0 + $spec{cols}) if defined $spec{rows};
  }
  pipe(my $synR, my $synW) or $fail->("pipe: $!");
  my $child = fork();
  $fail->("fork: $!") unless defined $child;
  if ($child == 0) {
    close $synR;
    close $ctl;
    eval {
      if ($tty) { close $master; take_pty($ptn); }
      elsif ($spec{nostdin}) { open(STDIN, '<', '/dev/null') or die "/dev/null: $!\n"; }
      my $cwd = defined $spec{cwd} ? $spec{cwd} : '/';
      chdir($cwd) or chdir('/');
      set_credentials();
      set_env();
      $SIG{PIPE} = 'DEFAULT';
      my @argv = @{ $list{argv} || [] };
      my $exe = defined $spec{exe} ? $spec{exe} : look_path($argv[0]);
      exec { $exe } @argv;
      die "exec: \"$argv[0]\": $!\n";
    };
    syswrite($synW, $@);
    exit 127;
  }
  close $synW;
  $SIG{TERM} = sub { kill 'KILL', $child; };
  my $why = '';
  while (sysread($synR, my $chunk, 4096)) { $why .= $chunk; }
  close $synR;
  if (length $why) {
    waitpid($child, 0);
    $why =~ s/\s+$//;
    $why =~ s/\n/ /g;
    $fail->($why);
  }
  $report->("ok\n");
  my $status;
  if (!$tty) {
    # Only the command holds its stdio now: its output ends when it (and what it started) closes it.
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>', '/dev/null');
    open(STDERR, '>', '/dev/null');
    # podrun gone (its end of fd 3 closed): nobody reads the output any more, so the command goes too. The
    # child's exit wakes the select through a pipe the SIGCHLD handler writes to (a signal between waitpid
    # and select would otherwise wait out the timeout).
    pipe(my $sigR, my $sigW) or $fail->("pipe: $!");
    $SIG{CHLD} = sub { syswrite($sigW, 'x'); };
    my $ctl_open = 1;
    for (;;) {
      my $w = waitpid($child, WNOHANG);
      if ($w == $child) { $status = $?; last; }
      last if $w < 0;
      my $rin = '';
      vec($rin, fileno($sigR), 1) = 1;
      vec($rin, fileno($ctl), 1) = 1 if $ctl_open;
      my $n = select(my $rout = $rin, undef, undef, 1.0);
      next unless $n && $n > 0;
      sysread($sigR, my $ignored, 64) if vec($rout, fileno($sigR), 1);
      next unless $ctl_open && vec($rout, fileno($ctl), 1);
      my $r = sysread($ctl, my $data, 4096);
      if (!$r && !(!defined $r && ($! == EINTR || $! == EAGAIN))) { $ctl_open = 0; kill 'KILL', $child; }
    }
  } else {
    my $stdin_open = 1;
    my $ctl_open = 1;
    my $apply = sub {
      while ((my $nl = index($in, "\n")) >= 0) {
        my ($rows, $cols) = split / /, substr($in, 0, $nl);
        substr($in, 0, $nl + 1) = '';
        set_winsize($master, 0 + $rows, 0 + $cols);
      }
    };
    $apply->();
    my $master_open = 1;
    my $reaped_at;
    while ($master_open) {
      if (!defined $status) {
        my $w = waitpid($child, WNOHANG);
        if ($w == $child) { $status = $?; $reaped_at = time(); }
      }
      last if defined $status && time() - $reaped_at > 2;
      my $rin = '';
      vec($rin, fileno($master), 1) = 1;
      vec($rin, 0, 1) = 1 if $stdin_open;
      vec($rin, fileno($ctl), 1) = 1 if $ctl_open;
      my $n = select(my $rout = $rin, undef, undef, defined $status ? 0.05 : 0.2);
      if (!$n || $n < 0) {
        # The command has gone and its terminal is quiet: what it wrote has all been read.
        last if defined $status;
        next;
      }
      if (vec($rout, fileno($master), 1)) {
        my $r = sysread($master, my $data, 65536);
        if (!$r) { next if !defined $r && ($! == EINTR || $! == EAGAIN); $master_open = 0; }
        else { put_all(\*STDOUT, $data) or last; }
      }
      if ($stdin_open && vec($rout, 0, 1)) {
        my $r = sysread(STDIN, my $data, 65536);
        if (!$r) { next if !defined $r && ($! == EINTR || $! == EAGAIN); $stdin_open = 0; }
        else { put_all($master, $data); }
      }
      if ($ctl_open && vec($rout, fileno($ctl), 1)) {
        my $r = sysread($ctl, my $data, 4096);
        if (!$r) { next if !defined $r && ($! == EINTR || $! == EAGAIN); $ctl_open = 0; kill 'KILL', $child; }
        else { $in .= $data; $apply->(); }
      }
    }
    if (!defined $status) { waitpid($child, 0); $status = $?; }
    open(STDOUT, '>', '/dev/null');
  }
  my $code = ($status & 127) ? 128 + ($status & 127) : $status >> 8;
  $report->("exit $code\n");
  exit 0;
}

# serve: the long-lived helper of one podrun. It reads requests "<id> <mode> <length>\n<spec>" on stdin and forks
# a child per request, which does the work and writes its report to stdout. Forking this small, already
# compiled process costs far less than starting perl (or forking podrun) for every sandbox and container.
# A start request's child stays as the container's shim. When podrun goes (stdin closes), the server exits;
# the shims go on and are reparented.
my %pending;
# Zygotes waiting for their request: id => [pid, write end of the pipe the request goes down].
my %ZYG;
sub reap {
  for (;;) {
    my $pid = waitpid(-1, WNOHANG);
    last if $pid <= 0;
    my $id = delete $pending{$pid};
    if (defined $id && $ZYG{$id} && $ZYG{$id}[0] == $pid) { close $ZYG{$id}[1]; delete $ZYG{$id}; }
    syswrite(STDOUT, "$id !exit $?\n") if defined $id;
  }
}

# zygote: a child that joins a container's cgroups before the container is asked for, and then waits for
# the start request (down its own pipe from the server) that it serves as any child would. On cgroup v1 each
# move into a group waits for an RCU grace period (~10 ms here); made ahead, that wait is off the start's path.
# Its report comes once it has joined; it keeps the in-flight lock until its start reports. The end of its
# pipe with no request (the server went, or podrun let it go) ends it.
sub mode_zygote {
  my ($r, $data) = @_;
  my $ok = eval { parse_spec($data); join_cgroups(); 1 };
  if (!$ok) { ctl('err ' . ($@ || 'failed')); exit 0; }
  $JOINED = 1;
  syswrite(STDOUT, "$REQ ok $$\n");
  my $buf = '';
  for (;;) {
    my $n = sysread($r, my $chunk, 262144);
    if (!defined $n) { next if $! == EINTR || $! == EAGAIN; exit 0; }
    exit 0 if $n == 0;
    $buf .= $chunk;
    my $nl = index($buf, "\n");
    next if $nl < 0;
    my ($id, $mode, $len) = split / /, substr($buf, 0, $nl);
    next if length($buf) < $nl + 1 + $len;
    close $r;
    $REQ = $id;
    %spec = ();
    %list = ();
    my $ok2 = eval {
      parse_spec(substr($buf, $nl + 1, $len));
      if ($mode eq 'start') { mode_start(); }
      else { die "a zygote serves start requests only, not $mode\n"; }
      1;
    };
    ctl('err ' . ($@ || 'failed')) unless $ok2;
    exit 0;
  }
}

# A request for a zygote ("start@<zygote id>") goes down that zygote's pipe; one whose zygote is gone is served
# like any other (its child then joins the groups itself, the slow way).
sub handoff {
  my ($id, $mode, $zid, $data) = @_;
  my $z = delete $ZYG{$zid};
  if ($z && kill(0, $z->[0])) {
    my $w = $z->[1];
    my $msg = "$id $mode " . length($data) . "\n" . $data;
    my $off = 0;
    while ($off < length($msg)) {
      my $n = syswrite($w, $msg, length($msg) - $off, $off);
      if (!defined $n) { next if $! == EINTR || $! == EAGAIN; last; }
      $off += $n;
    }
    close $w;
    if ($off == length($msg)) {
      # Its end is now this request's.
      $pending{ $z->[0] } = $id;
      return;
    }
  } elsif ($z) {
    close $z->[1];
  }
  serve_one($id, $mode, $data);
}

sub serve_one {
  my ($id, $mode, $data) = @_;
  my ($zr, $zw);
  if ($mode eq 'zygote') { pipe($zr, $zw) or do { syswrite(STDOUT, "$id err pipe: $!\n"); return; }; }
  my $pid = fork();
  if (!defined $pid) { syswrite(STDOUT, "$id err fork: $!\n"); return; }
  if ($pid) {
    $pending{$pid} = $id;
    if ($zr) { close $zr; $ZYG{$id} = [ $pid, $zw ]; }
    return;
  }
  $SIG{CHLD} = 'DEFAULT';
  # Another zygote must see the end of its pipe when the server goes: no child keeps a write end.
  close $_->[1] for values %ZYG;
  %ZYG = ();
  $REQ = $id;
  open(STDIN, '<', '/dev/null');
  if ($zr) { close $zw; mode_zygote($zr, $data); }
  my $ok = eval {
    parse_spec($data);
    if ($mode eq 'start') { mode_start(); }
    elsif ($mode eq 'sandbox') { mode_sandbox(); }
    elsif ($mode eq 'teardown') { mode_teardown(); }
    elsif ($mode eq 'nft') { mode_nft(); }
    elsif ($mode eq 'netns') { mode_netns(); }
    elsif ($mode eq 'mountpoints') { mode_mountpoints(); }
    else { die "unknown request $mode\n"; }
    1;
  };
  ctl('err ' . ($@ || 'failed')) unless $ok;
  exit 0;
}

# Descriptors podrun inherited from its own parent reach us too (spawn closes none): close them, so that no
# container inherits them.
sub close_inherited {
  opendir(my $d, '/proc/self/fd') or return;
  my @fds = grep { /^\d+$/ && $_ > 2 } readdir $d;
  closedir $d;
  for my $fd (@fds) {
    open(my $fh, '<&=', $fd) or next;
    close $fh;
  }
}

sub mode_serve {
  my ($lockpath) = @_;
  close_inherited();
  if (defined $lockpath) {
    open($INFLIGHT, '>>', $lockpath) or die "open $lockpath: $!\n";
    flock($INFLIGHT, 1) or die "lock $lockpath: $!\n";
  }
  $SIG{CHLD} = sub { };
  my $buf = '';
  for (;;) {
    reap();
    my $rin = '';
    vec($rin, 0, 1) = 1;
    # A SIGCHLD just before select is only seen at its timeout: keep it short.
    my $n = select(my $rout = $rin, undef, undef, 0.5);
    next unless $n && $n > 0;
    my $r = sysread(STDIN, my $chunk, 262144);
    if (!defined $r) { next if $! == EINTR || $! == EAGAIN; last; }
    last if $r == 0;
    $buf .= $chunk;
    for (;;) {
      my $nl = index($buf, "\n");
      last if $nl < 0;
      my ($id, $mode, $len) = split / /, substr($buf, 0, $nl);
      last if length($buf) < $nl + 1 + $len;
      my $data = substr($buf, $nl + 1, $len);
      substr($buf, 0, $nl + 1 + $len) = '';
      if ($mode =~ /^(\w+)\@(\d+)$/) { handoff($id, $1, $2, $data); }
      else { serve_one($id, $mode, $data); }
    }
  }
  exit 0;
}

my $mode = shift @ARGV;
$mode = '' unless defined $mode;
if ($mode eq 'serve') { mode_serve(shift @ARGV); }
elsif ($mode eq 'exec') { parse_spec(do { local $/; scalar <STDIN> }); mode_exec(); }
elsif ($mode eq 'execstream') { mode_execstream(); }
elsif ($mode eq 'idle') { mode_idle(@ARGV); }
elsif ($mode eq 'prepare') { parse_spec(do { local $/; scalar <STDIN> }); mode_prepare(); }
else { die "usage: podrun-shim.pl serve|prepare|exec|execstream|idle\n"; }
