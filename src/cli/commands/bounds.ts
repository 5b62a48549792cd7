/**
 * `ltr-rnn bounds`: the rank bounds gradient descent obeys in a recurrent network trained under a
 * given setting (`gradientDescentRankBounds`), as a table.
 */
import { BOUND_OPTIMIZERS, TRAINED_PARAMETERS, gradientDescentRankBounds, type RankBoundSpec } from '../../rank/bounds';
import { UsageError, parseChoice, parseInteger, type FlagValues } from '../args';
import type { Command, CommandContext, CommandResult } from '../context';
import { boundsNotes, boundsTable } from '../tables';

const NAME = 'bounds';

export const boundsCommand: Command = {
  name: NAME,
  summary: 'rank bounds of gradient descent for a training setting (no computation)',
  help: `Usage: ltr-rnn bounds --neurons N --inputs d --outputs d --steps T [options]

Prints the bounds (statements B1–B4 of docs/rank.md) on the rank of one gradient, one update,
the sum of updates, W_k itself, and the multilinear and CP rank of the K × N × N tensor of
weights over learning, for a recurrent network trained by gradient descent.

Required:
  --neurons N              recurrent units
  --inputs d               input dimension (0 for none)
  --outputs d              readout dimension
  --steps T                time steps per trial

Options:
  --trials-per-update P    trials in the batch of one update [1]
  --updates K              number of updates (the tensor is K × N × N) [100]
  --activation A           linear | nonlinear [nonlinear]
  --optimizer O            ${BOUND_OPTIMIZERS.join(' | ')} [sgd]
  --init I                 W_0: zero | rank:r [zero]
  --trained LIST           which weights are trained, from ${TRAINED_PARAMETERS.join(',')} [all; input only when d_in ≥ 1]
  --bias                   the network has a trainable bias
  --learned-initial-state  x_0 is trained (else 0)
  --statements             also print the text of each statement cited
  --json                   print the full bounds object as JSON

Example:
  ltr-rnn bounds --neurons 100 --inputs 3 --outputs 2 --steps 60 --updates 250 --activation linear
`,
  flags: {
    neurons: { type: 'string' },
    inputs: { type: 'string' },
    outputs: { type: 'string' },
    steps: { type: 'string' },
    'trials-per-update': { type: 'string' },
    updates: { type: 'string' },
    activation: { type: 'string' },
    optimizer: { type: 'string' },
    init: { type: 'string' },
    trained: { type: 'string' },
    bias: { type: 'boolean' },
    'learned-initial-state': { type: 'boolean' },
    statements: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0, names: [] },
  needsBackend: false,
  run: async (ctx: CommandContext, v: FlagValues): Promise<CommandResult> => {
    const spec = boundsSpec(v);
    const b = gradientDescentRankBounds(spec);
    const text = [boundsTable(b), '', ...boundsNotes(b, { statements: v.statements === true })].join('\n');
    void ctx;
    return {
      text,
      summary: `CP rank of the ${b.spec.updates} × ${b.spec.neurons} × ${b.spec.neurons} weight tensor ≤ ${b.cpRank.value} (${b.cpRank.statement}, ${b.cpRank.status})`,
      json: { command: NAME, ...b },
    };
  },
};

function required(v: FlagValues, flag: string): string {
  const x = v[flag];
  if (typeof x !== 'string') throw new UsageError(`'ltr-rnn bounds' needs --${flag}`, NAME);
  return x;
}

/** The spec of `gradientDescentRankBounds` from the flags. */
export function boundsSpec(v: FlagValues): RankBoundSpec {
  const int = (flag: string, min: number, text?: string): number => parseInteger(`--${flag}`, text ?? required(v, flag), { min, command: NAME });
  const spec: RankBoundSpec = {
    neurons: int('neurons', 1),
    inputDim: int('inputs', 0),
    outputDim: int('outputs', 1),
    timeSteps: int('steps', 1),
    trialsPerUpdate: typeof v['trials-per-update'] === 'string' ? int('trials-per-update', 1, v['trials-per-update']) : 1,
    updates: typeof v.updates === 'string' ? int('updates', 1, v.updates) : 100,
    activation: typeof v.activation === 'string' ? parseChoice('--activation', v.activation, ['linear', 'nonlinear'] as const, NAME) : 'nonlinear',
    optimizer: typeof v.optimizer === 'string' ? parseChoice('--optimizer', v.optimizer, BOUND_OPTIMIZERS, NAME) : 'sgd',
    bias: v.bias === true,
    initialState: v['learned-initial-state'] === true ? 'learned' : 'zero',
  };
  if (typeof v.init === 'string') {
    const m = /^rank:(\d+)$/.exec(v.init.trim());
    if (v.init.trim() === 'zero') spec.init = 'zero';
    else if (m) spec.init = { rank: parseInteger('--init rank', m[1], { min: 1, command: NAME }) };
    else throw new UsageError(`--init must be 'zero' or 'rank:r' (e.g. rank:3), got '${v.init}'`, NAME);
  }
  if (typeof v.trained === 'string') {
    spec.trained = v.trained.split(',').map((t) => parseChoice('--trained', t.trim(), TRAINED_PARAMETERS, NAME));
  }
  return spec;
}
