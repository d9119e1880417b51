import type { Command } from 'commander';

// Placeholder until the subcommand lands; replaced by its implementation.
export function register(program: Command): void {
  program
    .command('status')
    .description('(not implemented yet)')
    .action(() => {
      console.error('chatops status: not implemented yet');
      process.exitCode = 1;
    });
}
