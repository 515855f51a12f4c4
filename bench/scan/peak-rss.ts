/**
 * Preloaded into the scan the benchmark runs (`node --import`): at exit, the process's peak
 * resident set size (getrusage's ru_maxrss) on stderr, a line the benchmark reads.
 */
process.on('exit', () => {
  process.stderr.write(`runtime-guard-bench peak-rss-kib ${process.resourceUsage().maxRSS}\n`);
});
