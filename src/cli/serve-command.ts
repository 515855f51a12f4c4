export async function runServe(_argv: string[]): Promise<number> {
  process.stderr.write('runtime-guard serve: the HTTPS server is not built yet (see the server issue); use `runtime-guard review` meanwhile\n');
  return 2;
}
