/**
 * Runs the fixture server in its own process (node strips the types): the k6-driver specs block
 * their thread in synchronous HTTP, so the server must live elsewhere. argv[2]: FixtureOptions JSON.
 * Prints "READY <baseUrl>" on stdout; GET /stats returns { auths, disconnects, version }.
 */
import { startFixture, type FixtureOptions } from './fixture-server.ts';

const opts = JSON.parse(process.argv[2] ?? '{}') as FixtureOptions;
const fx = await startFixture(opts);
process.stdout.write(`READY ${fx.baseUrl}\n`);
process.on('SIGTERM', () => { void fx.close().then(() => process.exit(0)); });
