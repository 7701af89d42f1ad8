// A command whose work is done should end at once. ioredis's reply parser (redis-parser), after
// any reply too big for one socket read (migrate's packed pages), shrinks its buffer pool on a
// 50 ms interval that it does not unref, for up to about two seconds: the process would sit idle
// that long after its output. A command calls exitWhenDone() once its clients are closed; the
// process then exits shortly after oclif has written the result, with the exit code already set
// (the timer itself keeps nothing alive, so a process that ends earlier is not held).
const SETTLE_MS = 100

export function exitWhenDone(): void {
  const exitOnceFlushed = () => {
    if (process.stdout.writableLength > 0 || process.stderr.writableLength > 0) setTimeout(exitOnceFlushed, 20).unref()
    else process.exit()
  }
  setTimeout(exitOnceFlushed, SETTLE_MS).unref()
}
