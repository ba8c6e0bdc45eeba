/**
 * The shipped default rubric, with the reasons for its numbers inline (`_why` keys are
 * comments). `rubrics/default.json` is a copy of it for users to start from (a test
 * keeps the two identical); `riskscreen rubric` prints it too. docs/risk-score.md
 * explains the weights at length.
 */
import { parseRubric, RUBRIC_FORMAT, type Rubric } from './rubric.js';

export const DEFAULT_RUBRIC_JSON = {
  _about:
    'riskscreen default risk rubric. Copy it, change the numbers, pass it with --rubric FILE (or RISKSCREEN_RUBRIC). Keys starting with _ are comments. See docs/risk-score.md.',
  format: RUBRIC_FORMAT,
  name: 'default',
  levels: {
    _why: 'score 0-29 low, 30-59 medium, 60-100 high: one strong signal (a short tenure, a suspended line) makes a number worth a look; two, or one decisive one, make it high.',
    medium: 30,
    high: 60,
  },
  _min_confidence_for_low:
    'a row whose present signals carry less than 60% of the weight is never low: a number we know little about is not a good number. With the standard profile every non-Telecom number has 70-85%.',
  min_confidence_for_low: 0.6,
  signals: {
    line_status: {
      _why: 'the most direct signal: a line that is not in normal use cannot receive a verification code or a collection call. Suspended or unavailable lines often mean unpaid bills or an abandoned number.',
      weight: 35,
      missing: 15,
      points: { normal: 0, suspended: 30, unavailable: 30, inactive: 60, pre_cancel: 50 },
    },
    tenure: {
      _why: 'fraud and bonus abuse use fresh numbers: a number under 3 months old is the strongest single warning, fading with age. A number that has left the network belongs to nobody.',
      weight: 30,
      missing: 10,
      points: { '0-3': 30, '3-6': 20, '6-12': 10, '12-24': 5, '24+': 0, left_network: 60 },
    },
    resale: {
      _why: 'a number recycled to a new subscriber after the date the customer gave it to you now reaches a stranger: decisive. No known activation date is a mild doubt.',
      weight: 15,
      missing: 0,
      points: { recycled: 60, not_recycled: 0, no_activation_date: 10 },
    },
    call_minutes: {
      _why: 'China Telecom only; scored on the busier of calling and called minutes last month. A line with at most a minute of calls either way is a silent line: bought for codes, not for talking.',
      weight: 15,
      missing: 0,
      points: {
        '0': 20,
        '(0,1]': 20,
        '(5,10]': 10,
        '(10,20]': 5,
        '(20,35]': 0,
        '(35,55]': 0,
        '(55,80]': 0,
        '(80,115]': 0,
        '(115,160]': 0,
        '(160,230]': 0,
        '(230,360]': 0,
        '360+': 0,
      },
    },
    number_kind: {
      _why: 'from the prefix, always known. MVNO (170/171/162/165/167) numbers are cheap and anonymous to buy in bulk; IoT (14x data) numbers are not meant for people at all; satellite numbers are rare as a customer contact.',
      weight: 5,
      missing: 0,
      points: { mobile: 0, mvno: 10, iot: 25, satellite: 15 },
    },
  },
  _hard_rules: 'each sets the level whatever the points say (never lower): these answers alone make a number unusable as a customer contact.',
  hard_rules: [
    { name: 'line_not_in_service', signal: 'line_status', in: ['inactive', 'pre_cancel'], level: 'high' },
    { name: 'recycled_after_date', signal: 'resale', in: ['recycled'], level: 'high' },
    { name: 'left_network', signal: 'tenure', in: ['left_network'], level: 'high' },
  ],
} as const;

export const DEFAULT_RUBRIC: Rubric = parseRubric(DEFAULT_RUBRIC_JSON, 'default');
