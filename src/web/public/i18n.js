// Every visible word of the console, in zh-CN (the default) and English.
// t('key', { name: value }) fills {name} placeholders.

const STORAGE_KEY = 'riskscreen.lang';

const zh = {
  'app.title': 'riskscreen 风险筛查',
  'app.loading': '正在加载…',
  'app.offline': '无法连接服务器，请检查网络后刷新页面。',
  'lang.switch': 'English',
  'lang.switchTitle': '切换语言',

  'profile.standard': '标准',
  'profile.private': '隐私(移动在网时长用 sha256)',
  'profile.basic': '基础(空号 + 在网时长)',
  'profile.status': '仅空号检测',
  'carrier.cmcc': '移动',
  'carrier.cucc': '联通',
  'carrier.ctcc': '电信',
  'carrier.cbn': '广电',
  'new.byCarrier': '按运营商(号段)',
  'new.emptyValue': '（空）',
  'batch.rowsDone': '{done} / {total} 行',
  'batch.rowsDoneUnit': '已完成',
  'batch.questionsOf': '{done} / {total} 个查询',
  'list.sep': '、',
  'punct.colon': '：',
  'punct.comma': '，',
  'nav.batches': '批次列表',
  'nav.new': '新建批次',
  'nav.admin': '队列面板',
  'nav.logout': '退出登录',
  'role.viewer': '查看员',
  'role.operator': '操作员',
  'role.admin': '管理员',

  'banner.local':
    '本地引擎模式：批次在本网页服务进程内运行，未使用 Redis 队列。网页服务停止时，正在运行的批次随之暂停，下次启动后自动继续，已查询的号码不会重复计费。',

  'login.heading': '登录',
  'login.subtitle': '手机号风险批量筛查 · 运营控制台',
  'login.name': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.busy': '正在登录…',
  'login.failed': '用户名或密码不正确。',
  'login.throttled': '登录失败次数过多，已暂时锁定。请在 {wait}后再试。',
  'login.throttledNoTime': '登录失败次数过多，已暂时锁定。请稍后再试。',
  'login.missing': '请输入用户名和密码。',

  'status.queued': '排队中',
  'status.ingesting': '读取名单中',
  'status.screening': '查询中',
  'status.reporting': '生成结果中',
  'status.done': '已完成',
  'status.failed': '失败',
  'status.cancelled': '已取消',
  'status.blocked': '已停止(密钥被拒)',
  'status.all': '全部状态',
  'status.active': '进行中(全部)',

  'level.high': '高',
  'level.medium': '中',
  'level.low': '低',
  'level.unscored': '未评分',
  'level.total': '合计',
  'level.highLong': '高风险',
  'level.mediumLong': '中风险',
  'level.lowLong': '低风险',

  'rowstatus.screened': '已筛查',
  'rowstatus.partial': '部分筛查',
  'rowstatus.not_screened': '未筛查',
  'rowstatus.invalid': '无效号码',
  'rowstatus.all': '全部',

  'api.status': '空号检测',
  'api.tenure': '在网时长',
  'api.tenureCmcc': '在网时长(移动)',
  'api.resale': '二次放号',
  'api.callDuration': '通话时长(电信)',

  'list.heading': '批次',
  'list.filter': '状态',
  'list.col.name': '名单',
  'list.col.by': '上传人',
  'list.col.created': '提交时间',
  'list.col.rows': '行数',
  'list.col.status': '状态',
  'list.col.progress': '进度',
  'list.col.levels': '风险分布',
  'list.empty': '没有批次。',
  'list.emptyFiltered': '没有该状态的批次。',
  'list.page': '第 {page} 页，共 {pages} 页',
  'list.total': '共 {total} 个批次',
  'list.prev': '上一页',
  'list.next': '下一页',
  'list.autoRefresh': '有进行中的批次，每 5 秒自动刷新',
  'list.reading': '读取名单中',
  'list.levelsTitle': '高 / 中 / 低 / 未评分',

  'new.heading': '新建批次',
  'new.step1': '1. 上传名单',
  'new.step2': '2. 核对预览',
  'new.step3': '3. 运行选项',
  'new.forbidden': '你的角色（{role}）不能新建批次。需要操作员或管理员角色。',
  'new.drop': '把名单文件拖到这里，或点击选择文件',
  'new.dropHint': '支持 .csv、.txt、.xlsx，单个文件最大 {size}',
  'new.dropActive': '松开鼠标即可上传',
  'new.uploading': '正在上传 {name}',
  'new.uploadAbort': '停止上传',
  'new.uploaded': '已上传',
  'new.previewing': '正在读取名单并生成预览…（不排队、不计费）',
  'new.tooLarge': '文件 {name} 有 {size}，超过上限 {limit}。',
  'new.badType': '文件 {name} 不是 .csv、.txt 或 .xlsx 文件。',
  'new.previewNote': '以下是预览：尚未排队，也未产生任何查询费用。',
  'new.file': '文件',
  'new.size': '大小',
  'new.format': '格式',
  'new.encoding': '编码',
  'new.encodingAlt': '也可能是 {alt}',
  'new.delimiter': '分隔符',
  'new.sheet': '工作表',
  'new.headerLine': '表头',
  'new.headerLineN': '第 {line} 行',
  'new.noHeader': '无表头',
  'new.phoneColumn': '手机号列',
  'new.dateColumn': '日期列',
  'new.noDateColumn': '（无日期列）',
  'new.columnSource.name': '按列名识别',
  'new.columnSource.content': '按内容识别',
  'new.columnSource.option': '手动指定',
  'new.counts': '行数统计',
  'new.rows': '总行数',
  'new.valid': '有效号码',
  'new.invalid': '无效号码',
  'new.duplicates': '重复号码',
  'new.unique': '去重后号码',
  'new.blankLines': '空行',
  'new.dateWarnings': '日期无法识别',
  'new.invalidByReason': '无效号码原因',
  'new.reason': '原因',
  'new.count': '行数',
  'new.examples': '示例（号码已打码 · 行号）',
  'new.noInvalid': '没有无效号码。',
  'new.questions': '各接口查询量',
  'new.api': '接口',
  'new.questionsCol': '需查询',
  'new.cachedCol': '缓存已有',
  'new.billable': '最多计费查询次数',
  'new.billableNote': '这是上限：缓存命中、未查询或失败的查询不计费，实际费用通常更少。',
  'new.billableCap': '已设置封顶：最多 {cap} 次',
  'new.cacheSaves': '共享缓存可节省 {n} 次查询',
  'new.cacheNull': '未查询共享缓存：无法预估可节省的查询次数。',
  'new.warnings': '提示',
  'new.profile': '查询方案',
  'new.profileApis': '包含：{apis}',
  'new.since': '默认日期',
  'new.sinceHint': '日期列为空或无法识别时使用（用于二次放号检测），可不填',
  'new.maxCalls': '计费查询封顶',
  'new.maxCallsHint': '可选，整数；达到后其余号码不再查询',
  'new.maxCallsBad': '计费查询封顶必须是正整数。',
  'new.rubric': '评分规则',
  'new.start': '开始筛查',
  'new.starting': '正在提交…',
  'new.discard': '放弃并删除文件',
  'new.chooseOther': '换一个文件',
  'new.cannotStart': '名单无法读取，不能开始。请修正文件后重新上传。',
  'new.retryColumn': '指定手机号列（列名或列号）',
  'new.retry': '重新预览',
  'new.nothingValid': '名单中没有有效号码，无法开始。',
  'new.refreshing': '正在更新预览…',

  'delim.comma': '逗号 ,',
  'delim.tab': '制表符 Tab',
  'delim.semicolon': '分号 ;',
  'delim.pipe': '竖线 |',
  'delim.space': '空格',
  'format.text': '文本 (CSV/TXT)',
  'format.xlsx': 'Excel 工作簿 (.xlsx)',

  'reason.empty': '单元格为空',
  'reason.scientific_notation': 'Excel 科学计数法（末几位已丢失）',
  'reason.masked': '号码已打码（部分数字被隐藏）',
  'reason.decimal': '小数，不是手机号',
  'reason.multiple_numbers': '一个单元格里有多个号码',
  'reason.letters': '含字母或文字',
  'reason.invalid_characters': '含非法字符',
  'reason.foreign': '非 +86 国家代码',
  'reason.landline': '固定电话（以区号 0 开头）',
  'reason.too_short': '位数不足 11 位',
  'reason.too_long': '位数超过 11 位',
  'reason.unallocated_prefix': '号段未分配给任何运营商',

  'batch.heading': '批次 {id}',
  'batch.back': '← 返回批次列表',
  'batch.loading': '正在加载批次…',
  'batch.reconnecting': '实时连接中断，正在重新连接…',
  'batch.live': '实时更新',
  'batch.progress': '进度',
  'batch.progressOf': '{done} / {total}',
  'batch.progressUnit': '个查询已完成',
  'batch.readingList': '正在读取名单…',
  'batch.rows': '名单行数',
  'batch.billed': '计费查询',
  'batch.fromCache': '来自缓存',
  'batch.rate': '查询速度',
  'batch.rateUnit': '{n} 次/秒',
  'batch.eta': '预计剩余',
  'batch.etaUnknown': '计算中',
  'batch.stuck': '批次长时间没有进展，原因见下方“等待原因”。',
  'batch.errors': '查询错误',
  'batch.errorCode': '错误码',
  'batch.errorCount': '次数',
  'batch.errorMeaning': '含义',
  'batch.noErrors': '没有查询错误。',
  'batch.waits': '等待原因',
  'batch.details': '批次信息',
  'batch.input': '名单文件',
  'batch.submittedBy': '提交人',
  'batch.profile': '查询方案',
  'batch.apis': '接口',
  'batch.maxCalls': '计费封顶',
  'batch.noMaxCalls': '不封顶',
  'batch.rubric': '评分规则',
  'batch.created': '提交时间',
  'batch.screeningStarted': '开始查询',
  'batch.finished': '完成时间',
  'batch.counts': '号码统计',
  'batch.answered': '已应答',
  'batch.noRecord': '无记录',
  'batch.failedQ': '失败',
  'batch.skipped': '跳过',
  'batch.maybeBilled': '可能已计费',
  'batch.cancel': '取消批次',
  'batch.cancelTitle': '取消批次',
  'batch.cancelConfirmText': '确定取消？已查询的结果会保留，未查询的号码不再查询。',
  'batch.cancelYes': '确定取消',
  'batch.cancelNo': '返回',
  'batch.cancelling': '正在取消…',
  'batch.result': '结果',
  'batch.levelTable': '结果分布（行）',
  'batch.noResultYet': '结果文件生成后即可查看分布和下载。',
  'batch.noResultFinished': '这个批次没有结果文件。',
  'batch.downloads': '下载',
  'batch.encodingLabel': '文件编码',
  'enc.utf8-bom': 'UTF-8（带 BOM，Excel 可直接打开）',
  'enc.gb18030': 'GB18030（旧版 Excel / WPS）',
  'file.result': '完整结果',
  'file.masked': '打码结果',
  'file.high': '高风险',
  'file.medium': '中风险',
  'file.low': '低风险',
  'file.unscored': '未评分',
  'file.manifest': '清单 (JSON)',
  'file.changes': '对比变化',
  'file.resultHint': '全部行，完整号码',
  'file.maskedHint': '全部行，号码打码',
  'file.levelHint': '仅该等级的行',
  'batch.changesHeading': '与之前的批次对比',
  'batch.compareWith': '对比批次',
  'batch.compareChoose': '选择一个已完成的批次…',
  'batch.compareNone': '没有其他已完成的批次可供对比。',
  'batch.noDownload': '你的角色（{role}）不能下载文件。需要操作员或管理员角色。',
  'batch.notFound': '找不到批次 {id}。',

  'dur.s': '{n} 秒',
  'dur.m': '{n} 分钟',
  'dur.ms': '{m} 分 {s} 秒',

  'err.headline': '出错了',
  'err.network': '无法连接服务器',
  'err.networkMsg': '请检查网络连接后重试。',
  'err.RISKSCREEN_BAD_REQUEST': '请求有误',
  'err.RISKSCREEN_AUTH_REQUIRED': '登录已失效，请重新登录',
  'err.RISKSCREEN_LOGIN_FAILED': '用户名或密码不正确',
  'err.RISKSCREEN_FORBIDDEN': '你的角色无权执行此操作',
  'err.RISKSCREEN_CSRF': '安全校验失败，请刷新页面后重试',
  'err.RISKSCREEN_NOT_FOUND': '找不到（可能已被删除）',
  'err.RISKSCREEN_BATCH_FINISHED': '批次已经结束，无法取消',
  'err.RISKSCREEN_NO_RESULT_YET': '批次还没有结果',
  'err.RISKSCREEN_UPLOAD_TOO_LARGE': '文件超过大小上限，未保存',
  'err.RISKSCREEN_UNSUPPORTED_MEDIA': '不支持的文件类型（仅支持 .csv、.txt、.xlsx）',
  'err.RISKSCREEN_INPUT_UNREADABLE': '名单无法读取',
  'err.RISKSCREEN_BAD_OPTION': '运行选项有误',
  'err.RISKSCREEN_NOTHING_TO_SCREEN': '名单中没有有效号码',
  'err.RISKSCREEN_LOGIN_THROTTLED': '登录失败次数过多，请稍后再试',
  'err.RISKSCREEN_UNAVAILABLE': '队列服务 (Redis) 暂时无法连接',
  'err.RISKSCREEN_INTERNAL': '服务器内部错误，请联系管理员查看日志',
  'err.file': '文件',
  'err.line': '行号',
  'err.lineN': '第 {line} 行',
  'err.columnN': '第 {column} 列',
  'err.problem': '问题',
  'err.field': '字段',
  'err.role': '你的角色',
  'err.needs': '需要',
  'err.serverSays': '服务器说明',
  'err.retryAfter': '请在 {wait}后重试。',

  'input.INPUT_NOT_FOUND': '文件不存在',
  'input.INPUT_UNREADABLE': '文件无法读取',
  'input.INPUT_EMPTY': '文件是空的',
  'input.INPUT_HEADER_ONLY': '只有表头，没有数据行',
  'input.INPUT_BINARY': '不是文本文件也不是 .xlsx 工作簿（旧版 .xls 请另存为 .xlsx 或 .csv）',
  'input.INPUT_UNDECODABLE': '文件编码无法识别',
  'input.INPUT_UNCLOSED_QUOTE': '有一个引号没有闭合',
  'input.INPUT_TOO_LARGE': '文件太大',
  'input.INPUT_LINE_TOO_LONG': '某一行太长',
  'input.INPUT_NO_PHONE_COLUMN': '找不到手机号列',
  'input.INPUT_AMBIGUOUS_PHONE_COLUMN': '有多列像手机号，请指定手机号列',
  'input.INPUT_COLUMN_NOT_FOUND': '指定的列不存在',
  'input.INPUT_SHEET_NOT_FOUND': '指定的工作表不存在',
  'input.INPUT_BAD_WORKBOOK': 'Excel 工作簿已损坏、不完整或已加密',
  'input.INPUT_CHANGED': '文件在读取过程中被改动',
  'input.INPUT_OPTION_INVALID': '读取选项有误',
};

const en = {
  'app.title': 'riskscreen 风险筛查',
  'app.loading': 'Loading…',
  'app.offline': 'Cannot reach the server. Check the network and reload the page.',
  'lang.switch': '中文',
  'lang.switchTitle': 'Switch language',

  'profile.standard': 'standard',
  'profile.private': 'private (China Mobile tenure by sha256)',
  'profile.basic': 'basic (status + tenure)',
  'profile.status': 'line status only',
  'carrier.cmcc': 'China Mobile',
  'carrier.cucc': 'China Unicom',
  'carrier.ctcc': 'China Telecom',
  'carrier.cbn': 'China Broadnet',
  'new.byCarrier': 'By carrier (prefix)',
  'new.emptyValue': '(empty)',
  'batch.rowsDone': '{done} / {total} rows',
  'batch.rowsDoneUnit': 'done',
  'batch.questionsOf': '{done} / {total} questions',
  'list.sep': ', ',
  'punct.colon': ': ',
  'punct.comma': ', ',
  'nav.batches': 'Batches',
  'nav.new': 'New batch',
  'nav.admin': 'Queue dashboard',
  'nav.logout': 'Log out',
  'role.viewer': 'viewer',
  'role.operator': 'operator',
  'role.admin': 'admin',

  'banner.local':
    'Local engine: batches run inside this web process, without Redis. A batch running when the web process stops pauses with it and goes on when it starts again; numbers already asked are not paid for twice.',

  'login.heading': 'Log in',
  'login.subtitle': 'Batch risk screening of mobile numbers · ops console',
  'login.name': 'Name',
  'login.password': 'Password',
  'login.submit': 'Log in',
  'login.busy': 'Logging in…',
  'login.failed': 'Wrong name or password.',
  'login.throttled': 'Too many failed logins: locked for now. Try again in {wait}.',
  'login.throttledNoTime': 'Too many failed logins: locked for now. Try again later.',
  'login.missing': 'Enter your name and password.',

  'status.queued': 'Queued',
  'status.ingesting': 'Reading the list',
  'status.screening': 'Screening',
  'status.reporting': 'Writing the result',
  'status.done': 'Done',
  'status.failed': 'Failed',
  'status.cancelled': 'Cancelled',
  'status.blocked': 'Stopped (key refused)',
  'status.all': 'All statuses',
  'status.active': 'Active (all)',

  'level.high': 'High',
  'level.medium': 'Medium',
  'level.low': 'Low',
  'level.unscored': 'Unscored',
  'level.total': 'Total',
  'level.highLong': 'High risk',
  'level.mediumLong': 'Medium risk',
  'level.lowLong': 'Low risk',

  'rowstatus.screened': 'Screened',
  'rowstatus.partial': 'Partly screened',
  'rowstatus.not_screened': 'Not screened',
  'rowstatus.invalid': 'Invalid number',
  'rowstatus.all': 'All',

  'api.status': 'Line status (空号检测)',
  'api.tenure': 'Tenure (在网时长)',
  'api.tenureCmcc': 'Tenure, China Mobile',
  'api.resale': 'Reassigned number (二次放号)',
  'api.callDuration': 'Call minutes, China Telecom',

  'list.heading': 'Batches',
  'list.filter': 'Status',
  'list.col.name': 'List',
  'list.col.by': 'Uploaded by',
  'list.col.created': 'Submitted',
  'list.col.rows': 'Rows',
  'list.col.status': 'Status',
  'list.col.progress': 'Progress',
  'list.col.levels': 'Rows by level',
  'list.empty': 'No batches yet.',
  'list.emptyFiltered': 'No batch with this status.',
  'list.page': 'Page {page} of {pages}',
  'list.total': '{total} batches',
  'list.prev': 'Previous',
  'list.next': 'Next',
  'list.autoRefresh': 'Batches are running: refreshing every 5 s',
  'list.reading': 'Reading the list',
  'list.levelsTitle': 'High / medium / low / unscored',

  'new.heading': 'New batch',
  'new.step1': '1. Upload the list',
  'new.step2': '2. Check the preview',
  'new.step3': '3. Run options',
  'new.forbidden': 'Your role ({role}) cannot start batches. It takes the operator or admin role.',
  'new.drop': 'Drop the list file here, or click to choose a file',
  'new.dropHint': '.csv, .txt or .xlsx, at most {size}',
  'new.dropActive': 'Release to upload',
  'new.uploading': 'Uploading {name}',
  'new.uploadAbort': 'Stop the upload',
  'new.uploaded': 'Uploaded',
  'new.previewing': 'Reading the list for the preview… (nothing is queued or paid for)',
  'new.tooLarge': '{name} is {size}, over the limit of {limit}.',
  'new.badType': '{name} is not a .csv, .txt or .xlsx file.',
  'new.previewNote': 'This is a preview: nothing is queued and nothing has been paid for yet.',
  'new.file': 'File',
  'new.size': 'Size',
  'new.format': 'Format',
  'new.encoding': 'Encoding',
  'new.encodingAlt': 'could also be {alt}',
  'new.delimiter': 'Delimiter',
  'new.sheet': 'Sheet',
  'new.headerLine': 'Header',
  'new.headerLineN': 'line {line}',
  'new.noHeader': 'no header',
  'new.phoneColumn': 'Phone column',
  'new.dateColumn': 'Date column',
  'new.noDateColumn': '(no date column)',
  'new.columnSource.name': 'found by name',
  'new.columnSource.content': 'found by content',
  'new.columnSource.option': 'chosen',
  'new.counts': 'Rows',
  'new.rows': 'Rows',
  'new.valid': 'Valid numbers',
  'new.invalid': 'Invalid numbers',
  'new.duplicates': 'Duplicates',
  'new.unique': 'Unique numbers',
  'new.blankLines': 'Blank lines',
  'new.dateWarnings': 'Unreadable dates',
  'new.invalidByReason': 'Invalid rows by reason',
  'new.reason': 'Reason',
  'new.count': 'Rows',
  'new.examples': 'Examples (masked · line)',
  'new.noInvalid': 'No invalid numbers.',
  'new.questions': 'Questions per API',
  'new.api': 'API',
  'new.questionsCol': 'Questions',
  'new.cachedCol': 'In cache',
  'new.billable': 'Billable calls, at most',
  'new.billableNote': 'An upper bound: cache hits and questions not asked or failed are not billed, so the real bill is usually lower.',
  'new.billableCap': 'Capped: at most {cap} calls',
  'new.cacheSaves': 'The shared cache saves {n} calls',
  'new.cacheNull': 'The shared cache is not consulted: no saving can be estimated.',
  'new.warnings': 'Warnings',
  'new.profile': 'Profile',
  'new.profileApis': 'Asks: {apis}',
  'new.since': 'Default date',
  'new.sinceHint': 'Used where the date cell is empty or unreadable (for the reassigned-number check); optional',
  'new.maxCalls': 'Cap on billable calls',
  'new.maxCallsHint': 'Optional, a whole number; once reached, the remaining numbers are not asked',
  'new.maxCallsBad': 'The cap on billable calls must be a whole number above 0.',
  'new.rubric': 'Rubric',
  'new.start': 'Start screening',
  'new.starting': 'Starting…',
  'new.discard': 'Discard the file',
  'new.chooseOther': 'Choose another file',
  'new.cannotStart': 'The list cannot be read, so nothing can be started. Fix the file and upload it again.',
  'new.retryColumn': 'Phone column (header name or number)',
  'new.retry': 'Preview again',
  'new.nothingValid': 'The list has no valid number: nothing to start.',
  'new.refreshing': 'Updating the preview…',

  'delim.comma': 'comma ,',
  'delim.tab': 'tab',
  'delim.semicolon': 'semicolon ;',
  'delim.pipe': 'pipe |',
  'delim.space': 'space',
  'format.text': 'text (CSV/TXT)',
  'format.xlsx': 'Excel workbook (.xlsx)',

  'reason.empty': 'empty cell',
  'reason.scientific_notation': 'Excel scientific notation (last digits lost)',
  'reason.masked': 'masked number (digits hidden)',
  'reason.decimal': 'a decimal number, not a phone number',
  'reason.multiple_numbers': 'more than one number in the cell',
  'reason.letters': 'contains letters or words',
  'reason.invalid_characters': 'contains characters that are not digits',
  'reason.foreign': 'a country code other than +86',
  'reason.landline': 'a landline (starts with area code 0)',
  'reason.too_short': 'fewer than 11 digits',
  'reason.too_long': 'more than 11 digits',
  'reason.unallocated_prefix': 'prefix not allocated to any carrier',

  'batch.heading': 'Batch {id}',
  'batch.back': '← Back to batches',
  'batch.loading': 'Loading the batch…',
  'batch.reconnecting': 'Live updates interrupted, reconnecting…',
  'batch.live': 'Live',
  'batch.progress': 'Progress',
  'batch.progressOf': '{done} / {total}',
  'batch.progressUnit': 'questions done',
  'batch.readingList': 'Reading the list…',
  'batch.rows': 'Rows',
  'batch.billed': 'Billed calls',
  'batch.fromCache': 'From cache',
  'batch.rate': 'Speed',
  'batch.rateUnit': '{n} calls/s',
  'batch.eta': 'Time left',
  'batch.etaUnknown': 'estimating',
  'batch.stuck': 'The batch has made no progress for a while; see what it waits for below.',
  'batch.errors': 'Call errors',
  'batch.errorCode': 'Code',
  'batch.errorCount': 'Count',
  'batch.errorMeaning': 'Meaning',
  'batch.noErrors': 'No call errors.',
  'batch.waits': 'Waiting for',
  'batch.details': 'Details',
  'batch.input': 'List file',
  'batch.submittedBy': 'Submitted by',
  'batch.profile': 'Profile',
  'batch.apis': 'APIs',
  'batch.maxCalls': 'Call cap',
  'batch.noMaxCalls': 'no cap',
  'batch.rubric': 'Rubric',
  'batch.created': 'Submitted',
  'batch.screeningStarted': 'Screening started',
  'batch.finished': 'Finished',
  'batch.counts': 'Numbers',
  'batch.answered': 'Answered',
  'batch.noRecord': 'No record',
  'batch.failedQ': 'Failed',
  'batch.skipped': 'Skipped',
  'batch.maybeBilled': 'Maybe billed',
  'batch.cancel': 'Cancel batch',
  'batch.cancelTitle': 'Cancel the batch',
  'batch.cancelConfirmText':
    'Cancel this batch? Results already received are kept; numbers not yet asked will not be asked.',
  'batch.cancelYes': 'Yes, cancel',
  'batch.cancelNo': 'Back',
  'batch.cancelling': 'Cancelling…',
  'batch.result': 'Result',
  'batch.levelTable': 'Rows by status and level',
  'batch.noResultYet': 'The counts and downloads appear once the result is written.',
  'batch.noResultFinished': 'This batch has no result file.',
  'batch.downloads': 'Downloads',
  'batch.encodingLabel': 'File encoding',
  'enc.utf8-bom': 'UTF-8 with BOM (opens in Excel)',
  'enc.gb18030': 'GB18030 (older Excel / WPS)',
  'file.result': 'Full result',
  'file.masked': 'Masked result',
  'file.high': 'High risk',
  'file.medium': 'Medium risk',
  'file.low': 'Low risk',
  'file.unscored': 'Unscored',
  'file.manifest': 'Manifest (JSON)',
  'file.changes': 'Changes',
  'file.resultHint': 'every row, full numbers',
  'file.maskedHint': 'every row, masked numbers',
  'file.levelHint': 'the rows of this level',
  'batch.changesHeading': 'Changes against an earlier batch',
  'batch.compareWith': 'Compare with',
  'batch.compareChoose': 'Choose a finished batch…',
  'batch.compareNone': 'No other finished batch to compare with.',
  'batch.noDownload': 'Your role ({role}) cannot download files. It takes the operator or admin role.',
  'batch.notFound': 'No batch {id}.',

  'dur.s': '{n} s',
  'dur.m': '{n} min',
  'dur.ms': '{m} min {s} s',

  'err.headline': 'Something went wrong',
  'err.network': 'Cannot reach the server',
  'err.networkMsg': 'Check the network connection and try again.',
  'err.RISKSCREEN_BAD_REQUEST': 'The request is malformed',
  'err.RISKSCREEN_AUTH_REQUIRED': 'Your session has ended: log in again',
  'err.RISKSCREEN_LOGIN_FAILED': 'Wrong name or password',
  'err.RISKSCREEN_FORBIDDEN': 'Your role may not do this',
  'err.RISKSCREEN_CSRF': 'Security check failed: reload the page and try again',
  'err.RISKSCREEN_NOT_FOUND': 'Not found (it may have been removed)',
  'err.RISKSCREEN_BATCH_FINISHED': 'The batch has already finished and cannot be cancelled',
  'err.RISKSCREEN_NO_RESULT_YET': 'The batch has no result yet',
  'err.RISKSCREEN_UPLOAD_TOO_LARGE': 'The file is over the size limit and was not kept',
  'err.RISKSCREEN_UNSUPPORTED_MEDIA': 'Unsupported file type (only .csv, .txt, .xlsx)',
  'err.RISKSCREEN_INPUT_UNREADABLE': 'The list cannot be read',
  'err.RISKSCREEN_BAD_OPTION': 'A run option is wrong',
  'err.RISKSCREEN_NOTHING_TO_SCREEN': 'The list has no valid number',
  'err.RISKSCREEN_LOGIN_THROTTLED': 'Too many failed logins: try again later',
  'err.RISKSCREEN_UNAVAILABLE': 'The queue service (Redis) cannot be reached',
  'err.RISKSCREEN_INTERNAL': 'Internal server error: ask an admin to look at the log',
  'err.file': 'File',
  'err.line': 'Line',
  'err.lineN': 'line {line}',
  'err.columnN': 'column {column}',
  'err.problem': 'Problem',
  'err.field': 'Field',
  'err.role': 'Your role',
  'err.needs': 'Needs',
  'err.serverSays': 'Server says',
  'err.retryAfter': 'Try again in {wait}.',

  'input.INPUT_NOT_FOUND': 'The file does not exist',
  'input.INPUT_UNREADABLE': 'The file cannot be read',
  'input.INPUT_EMPTY': 'The file is empty',
  'input.INPUT_HEADER_ONLY': 'A header and no data row',
  'input.INPUT_BINARY': 'Neither text nor an .xlsx workbook (save an old .xls as .xlsx or .csv)',
  'input.INPUT_UNDECODABLE': 'The text encoding cannot be decoded',
  'input.INPUT_UNCLOSED_QUOTE': 'A quote is never closed',
  'input.INPUT_TOO_LARGE': 'The file is too large',
  'input.INPUT_LINE_TOO_LONG': 'A line is too long',
  'input.INPUT_NO_PHONE_COLUMN': 'No phone column found',
  'input.INPUT_AMBIGUOUS_PHONE_COLUMN': 'Several columns look like phone numbers: choose one',
  'input.INPUT_COLUMN_NOT_FOUND': 'The column given does not exist',
  'input.INPUT_SHEET_NOT_FOUND': 'The sheet given does not exist',
  'input.INPUT_BAD_WORKBOOK': 'The workbook is corrupt, truncated or encrypted',
  'input.INPUT_CHANGED': 'The file changed while it was read',
  'input.INPUT_OPTION_INVALID': 'A read option is wrong',
};

const TABLES = { 'zh-CN': zh, en };

function initialLang() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === 'zh-CN' || stored === 'en') return stored;
  } catch {
    /* storage blocked: fall through */
  }
  const first = (navigator.languages && navigator.languages[0]) || navigator.language || 'zh-CN';
  return /^zh\b/i.test(first) ? 'zh-CN' : 'en';
}

let lang = initialLang();
const listeners = new Set();

export function getLang() {
  return lang;
}

export function setLang(next) {
  if (next !== 'zh-CN' && next !== 'en') return;
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* ignore */
  }
  document.documentElement.lang = next;
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(TABLES[lang], key);
}

export function t(key, params) {
  const table = TABLES[lang];
  let text = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : zh[key] ?? key;
  if (params) {
    text = text.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
    );
  }
  return text;
}

/** 12,345 (both languages group by thousands with a comma). */
export function num(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return Number(value).toLocaleString(lang === 'en' ? 'en-US' : 'zh-CN');
}

export function decimal(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return Number(value).toLocaleString(lang === 'en' ? 'en-US' : 'zh-CN', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** 52,311 bytes → "51.1 KB"; binary units as a file manager shows them. */
export function bytes(value) {
  if (value === null || value === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = Number(value);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${num(v)} B` : `${decimal(v, v >= 100 ? 0 : 1)} ${units[i]}`;
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** Local time, "2026-12-06 18:15"; with seconds when asked. */
export function dateTime(iso, withSeconds = false) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
  return `${day} ${time}`;
}

/** 186 → "00:03:06". */
export function hms(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** A wait in words: "45 秒", "3 分 20 秒". */
export function duration(seconds) {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return t('dur.s', { n: s });
  const m = Math.floor(s / 60);
  const rest = s % 60;
  return rest === 0 ? t('dur.m', { n: m }) : t('dur.ms', { m, s: rest });
}

document.documentElement.lang = lang;
