// The usage texts of the command groups whose code is loaded only when they run (main.ts prints them in --help).

export const REPO_USAGE = `  repo init REPO [--tier fast|default|max] [--no-encryption]
  repo backup REPO PATH... [--tag T]... [--host H] [--exclude GLOB]... [--every 1h] [--workers N] [--memory SIZE] [--json]
                                            --every: again each interval until SIGINT/SIGTERM; --workers: threads
                                            coding the packs (default: the CPUs, at most 4); --memory: as compress's
                                            (default 512M, 1G for a repository at dhatu level 4-9)
  repo snapshots REPO [--json]
  repo ls REPO SNAP [PATH] [--json]
  repo restore REPO SNAP --target DIR [--include PATH]... [--force]
  repo diff REPO SNAP1 SNAP2 [--json]
  repo forget REPO [--keep-last N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--tag T] [--dry-run] [--json]
  repo prune REPO [--json]
  repo check REPO [--read-data] [--repair] [--json]
                                            exit 0 when intact, 1 when a problem is found; --repair (with
                                            --replica) first copies every object to the replicas lacking it
  repo unlock REPO [--all] [--json]           removes stale locks (a crashed process's); --all: every lock
  repo copy SRC DST [SNAP...]                 (destination password: PANINI_PASSWORD2 or --password-file2)
  repo key add|list|remove REPO [ID]          (new key's password: PANINI_NEW_PASSWORD or --new-password-file)
                                            REPO: a directory (s3://, azure:// when their stores are installed);
                                            --replica LOC (repeatable): REPO and LOC hold copies of every object,
                                            a write is done when --quorum K of them have it (default all);
                                            SNAP: an id prefix or 'latest'; password: PANINI_PASSWORD,
                                            --password-file FILE, --key-file FILE, or a prompt on a terminal`;

export const SERVE_USAGE = `  serve [--port 7878] [--host 127.0.0.1] [--data DIR] [--queue Q] [--root DIR]... [--workers N]
        [--device auto|cpu|gpu] [--max-upload SIZE] [--lease SECONDS]
                                            the job server: REST API, live events, metrics and the dashboard at
                                            its URL; DIR default $PANINI_DATA or ~/.local/share/panini-fs, Q default
                                            $PANINI_QUEUE, else sqlite:DIR/queue.sqlite; job inputs and
                                            outputs must lie under a --root (default: the current directory) or in
                                            DIR/uploads; a --root s3://… or azure://… lets compress jobs read
                                            from that store; a host other than loopback needs PANINI_TOKEN;
                                            --lease: the embedded workers' claim lease (default 60)
                                            (docs/SERVER.md)`;
