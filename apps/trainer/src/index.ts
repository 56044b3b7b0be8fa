export { train, NonFiniteLossError } from './trainer.js';
export type { TrainHooks, TrainResult } from './trainer.js';
export { makeEvaluator, makeLoss, loadData } from './objectives.js';
export { resolveConfig, readConfigFile, OPTIONS, MODEL_SHAPES, DATA_FORMATS, EVALUATOR_TYPES } from './config.js';
export type { TrainConfig, ObjectiveConfig, DataConfig, EvaluatorConfig } from './config.js';
export { configFromArgs } from './commands/train.js';
export { predictPairs, findClassifier } from './commands/predict.js';
export { main } from './cli.js';
