// The command line as a whole: help, usage errors, configuration errors, and the promise that
// failures are one line and --json output is one object.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFails, createSandbox, type CliSandbox } from './harness.js';

describe('gatehouse', () => {
  let cli: CliSandbox;
  before(async () => {
    cli = await createSandbox();
  });
  after(async () => cli?.close());

  test('--help prints usage on stdout, exits 0 and touches no database', async () => {
    for (const args of [['--help'], ['-h']]) {
      const result = await cli.run(args);
      assert.equal(result.code, 0);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /^Usage: gatehouse <group> <command>/);
      for (const group of ['user', 'client', 'resource', 'iat', 'keys', 'audit', 'db']) assert.match(result.stdout, new RegExp(`\n  ${group} `));
    }
    assert.equal(await cli.databaseExists(), false);
  });

  test('<group> --help lists the group commands', async () => {
    const expected: Record<string, string[]> = {
      user: ['create', 'list', 'delete', 'set-password'],
      client: ['create', 'list', 'show', 'delete', 'rotate-secret'],
      resource: ['create', 'list', 'delete'],
      iat: ['create'],
      keys: ['list', 'rotate'],
      db: ['status', 'migrate'],
    };
    for (const [group, commands] of Object.entries(expected)) {
      const result = await cli.run([group, '--help']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^Usage: gatehouse ${group} <command>`));
      for (const command of commands) assert.match(result.stdout, new RegExp(`gatehouse ${group} ${command}\\b`));
    }
    const command = await cli.run(['client', 'create', '--help']);
    assert.equal(command.code, 0);
    assert.match(command.stdout, /--redirect-uri/);
    assert.equal(await cli.databaseExists(), false);
  });

  test('usage errors exit 2 with one line on stderr', async () => {
    assertFails(await cli.run([]), 2, /missing command/);
    assertFails(await cli.run(['frobnicate']), 2, /unknown command group "frobnicate"/);
    assertFails(await cli.run(['user']), 2, /missing user command/);
    assertFails(await cli.run(['user', 'rename']), 2, /unknown user command "rename"/);
    assertFails(await cli.run(['user', 'list', '--verbose']), 2, /unknown option --verbose/);
    assertFails(await cli.run(['user', 'list', 'extra']), 2, /unexpected argument "extra"/);
    assertFails(await cli.run(['client', 'create', '--name']), 2, /argument missing/);
    assertFails(await cli.run(['--verbose', 'user', 'list']), 2, /unknown option "--verbose"/);
    assertFails(await cli.run(['user', 'constructor']), 2, /unknown user command/);
    assert.equal(await cli.databaseExists(), false, 'nothing ran');
  });

  test('a bad configuration exits 2 and names the variable', async () => {
    assertFails(await cli.run(['user', 'list'], { env: { DATABASE_URL: 'mysql://db/gatehouse' } }), 2, /configuration error: DATABASE_URL/);
    assertFails(await cli.run(['user', 'list'], { env: { ACCESS_TOKEN_TTL: 'soon' } }), 2, /ACCESS_TOKEN_TTL/);
  });

  test('--json works before the group too, and prints one JSON object', async () => {
    const result = await cli.run(['--json', 'user', 'list']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { users: [] });
  });

  test('the first command migrates a fresh database and later ones reuse it', async () => {
    assert.ok(await cli.databaseExists());
    const migrations = await cli.query<{ migration_name: string }>('SELECT "migration_name" FROM "_prisma_migrations"');
    assert.ok(migrations.length >= 1);
    await cli.json(['client', 'list']);
    assert.equal((await cli.query('SELECT "migration_name" FROM "_prisma_migrations"')).length, migrations.length);
  });
});
