/** The workflows the bench runs, written to a temp project folder and loaded like any project. */

/** Seals the secret input of the `lines` workflow; the same in the bench client and its worker. */
export const BENCH_SECRET_KEY = 'chatops-bench-only-key';

const tenSteps = Array.from({ length: 10 }, (_, i) => `  - id: s${i + 1}\n${i > 0 ? `    needs: [s${i}]\n` : ''}    sleep: 0ms`).join('\n');

export const BENCH_WORKFLOWS: Record<string, string> = {
  'noop-1': 'name: noop-1\ndescription: One step that does no I/O.\nsteps:\n  - id: noop\n    sleep: 0ms\n',
  'noop-10': `name: noop-10\ndescription: Ten sequential steps that do no I/O.\nsteps:\n${tenSteps}\n`,
  'shell-true': 'name: shell-true\ndescription: The cheapest shell step.\nsteps:\n  - id: t\n    run: "true"\n',
  parked: 'name: parked\ndescription: Parks on an approval nobody gives.\nsteps:\n  - id: wait\n    approval: { message: "bench: never approved", expires: 1h }\n  - id: after\n    needs: [wait]\n    sleep: 0ms\n',
  lines: [
    'name: lines',
    'description: One step printing many lines, each holding a secret input.',
    'inputs:',
    '  count: { type: number, default: 100000 }',
    '  token: { type: string, required: true, secret: true }',
    'steps:',
    '  - id: print',
    '    run: seq 1 "$INPUT_COUNT" | sed "s/\\$/ $INPUT_TOKEN/"',
    '',
  ].join('\n'),
  // The trial of issue 9 item 4: 1 GB of output in lines of 99 characters.
  gigabyte: 'name: gigabyte\ndescription: One step printing 1 GB.\nsteps:\n  - id: flood\n    run: head -c 1000000000 /dev/zero | tr \'\\0\' a | fold -w 99\n',
};
