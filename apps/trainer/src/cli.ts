import { evaluateCommand, EVALUATE_HELP } from './commands/evaluate.js';
import { predictCommand, PREDICT_HELP } from './commands/predict.js';
import { trainCommand, TRAIN_HELP } from './commands/train.js';

export const HELP = `sbert-trainer <command> [options]

Commands:
  train      train or fine-tune a Sentence-BERT model
  evaluate   evaluate a model directory on a data file (prints a metric table)
  predict    labels and probabilities from a SoftmaxLoss two-sentence classifier

'sbert-trainer <command> --help' lists a command's options.`;

const COMMANDS: Record<string, [(args: string[]) => Promise<void>, string]> = {
  train: [trainCommand, TRAIN_HELP],
  evaluate: [evaluateCommand, EVALUATE_HELP],
  predict: [predictCommand, PREDICT_HELP],
};

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP);
    return;
  }
  const entry = COMMANDS[command];
  if (!entry) throw Object.assign(new Error(`unknown command '${command}'; expected one of ${Object.keys(COMMANDS).join(', ')}`), { code: 'E_USAGE' });
  await entry[0](rest);
}
