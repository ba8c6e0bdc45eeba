/** Risk scoring: pure functions and the rubrics that drive them. Knows nothing of engines or files but rubric JSON. */
export { SIGNAL_APIS, SIGNAL_NAMES, SIGNAL_VALUES, SIGNAL_TITLES, describeValue, signalOfApi, type SignalName, type SignalValues } from './signals.js';
export { RISK_LEVELS, RUBRIC_FORMAT, RubricError, parseRubric, rubricToJson, type HardRule, type RiskLevel, type Rubric, type SignalRubric } from './rubric.js';
export { DEFAULT_RUBRIC, DEFAULT_RUBRIC_JSON } from './default-rubric.js';
export { loadRubric, rubricDigest } from './load.js';
export { assessRisk, floorOf, levelOf, rank, reasonsText, type MissingSignal, type MissingWhy, type Observation, type RiskAssessment, type RiskInput } from './score.js';
export { decidedBy, decidingAnswers, firstStageSignal, type DecidingAnswers } from './staging.js';
