"""Text patterns of Chinese (and English) news pages, compiled once.

Everything the extractor recognises by wording rather than by markup lives here, so that a
new portal quirk is a one-line change in one place and the heuristics stay reviewable.
"""

from __future__ import annotations

import re

# Label words that open a field on an article's info line. Order matters inside each
# alternation: the longer label must win (发布时间 before 时间, 责任编辑 before 编辑).
SOURCE_LABELS = (
    "文章来源",
    "新闻来源",
    "信息来源",
    "稿件来源",
    "来源",
    "稿源",
    "出处",
    "出自",
    "转自",
    "转载自",
    "来源于",
    "本文来自",
    "来自微信公众号",
    "来自",
)
AUTHOR_LABELS = (
    "作者",
    "撰文",
    "记者",
    "通讯员",
    "文",
    "作\u3000者",
    "作 者",
    "撰稿",
    "执笔人",
    "执笔",
    "By",
)
EDITOR_LABELS = (
    "责任编辑",
    "责编",
    "编辑",
    "审核",
    "校对",
    "编审",
    "值班编辑",
    "主编",
    "审校",
    "监制",
    "策划",
    "译",
    "翻译",
    "摄影",
    "摄",
    "图",
)
DATE_LABELS = (
    "发布时间",
    "发布日期",
    "发表时间",
    "发表日期",
    "发表于",
    "发布于",
    "时间",
    "日期",
    "更新时间",
    "更新日期",
    "更新于",
    "修改时间",
)
OTHER_LABELS = (
    "点击数",
    "点击",
    "浏览次数",
    "浏览量",
    "浏览",
    "阅读数",
    "阅读",
    "人气",
    "字号",
    "字体",
    "评论",
    "分享到",
    "分享",
    "关键词",
    "关键字",
    "标签",
    "栏目",
    "频道",
    "所属栏目",
    "发布者",
    "发布人",
    "录入",
    "打印",
    "收藏",
    "原标题",
    "摘要",
    "导读",
    "出版社",
    "连载",
)

ALL_LABELS: tuple[str, ...] = tuple(
    sorted(
        {*SOURCE_LABELS, *AUTHOR_LABELS, *EDITOR_LABELS, *DATE_LABELS, *OTHER_LABELS},
        key=len,
        reverse=True,
    )
)

_COLON = r"[:：]"
_SPACE = r"[\s\u3000\xa0]"


def _alternation(labels: tuple[str, ...]) -> str:
    """Longest-first alternation so that a short label never shadows a longer one."""
    return "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))


# A label followed by a colon: "来源：", "作 者:", "By:". Single-character labels (文, 图,
# 摄, 译) only count with a colon or slash, since they are ordinary words otherwise.
_LONG_LABELS = tuple(label for label in ALL_LABELS if len(label) > 1)
_SHORT_LABELS = tuple(label for label in ALL_LABELS if len(label) == 1)
_PIPE = r"[｜丨|]"
# Modern portals set labels off with a bar: "文｜张三", "来源丨第一财经", "作者 | 张三". A
# one-character label only counts right after a space or the line start ("中文|English"
# holds no label).
LABEL_RE = re.compile(
    rf"(?P<label>{_alternation(ALL_LABELS)})"
    rf"(?:{_SPACE}*(?:{_COLON}|/(?=\S))|(?<=来源于){_SPACE}+(?=\S))"  # "来源于 财新网"
    rf"|(?P<barred>{_alternation(_LONG_LABELS)}){_SPACE}*{_PIPE}{_SPACE}*(?=\S)"
    rf"|(?<![\w\u4e00-\u9fff])(?P<barred_short>{_alternation(_SHORT_LABELS)}){_SPACE}*{_PIPE}"
    rf"{_SPACE}*(?=\S)",
    re.IGNORECASE,
)

# "本报记者 张三 李四", "通讯员：王五": these labels are printed without a colon. The names
# must be separated from the label and end at a space or bracket, because "记者了解到" is a
# verb phrase, not a byline.
_HAN_NAME = r"[\u4e00-\u9fff·]{2,4}?"  # lazy: "赵磊发布时间" ends at 赵磊
_NAME_LIST = rf"{_HAN_NAME}(?:[\s\u3000\xa0、，,]+{_HAN_NAME})*"
REPORTER_RE = re.compile(
    rf"(?:记者|通讯员|实习生|特约撰稿人?)"
    rf"(?:(?:[\s\u3000\xa0]*[:：][\s\u3000\xa0]*|[\s\u3000\xa0]+)(?P<names>{_NAME_LIST})"
    rf"(?=$|[\s\u3000\xa0）)】\]]|报道|发自|/|发布|发表|时间|日期|来源|编辑|责任|阅读|浏览)"
    rf"|(?P<joined>{_HAN_NAME})(?=发自|报道|/文|/摄|摄影))"
)
# "（记者 张三）", "(记者张三 李四)": inside brackets the byline needs no separator.
BRACKETED_REPORTER_RE = re.compile(
    rf"[（(【\[]\s*(?:[^）)】\]]{{0,12}}?)(?:记者|通讯员)[\s\u3000\xa0:：]*"
    rf"(?P<names>{_NAME_LIST})\s*[）)】\]]"
)

# "C114讯 1月16日消息（水易）", "IT之家1月16日消息（张三）": the writer bracketed right after
# the dateline of an industry site's first paragraph.
DATELINE_CREDIT_RE = re.compile(
    rf"^.{{0,30}}?\d{{1,2}}\s*日\s*(?:讯|电|消息)\s*[（(]\s*(?P<names>{_NAME_LIST})\s*[）)]"
)
# "（常书香 马丹阳）", "（姚峰 上海报道）" closing the last paragraph: the reporters.
TRAILING_BRACKETED_NAMES_RE = re.compile(
    rf"(?:^|(?<=[。！？!?”」』]))\s*[（(]\s*(?P<names>{_NAME_LIST})\s*(?:[\u4e00-\u9fff]{{2,6}}报道)?\s*[）)]\s*$"
)
# "[ 黄宇 ]" on an info line: sohu-style bracketed byline.
BRACKETED_NAME_RE = re.compile(rf"[\[【]\s*(?P<names>{_HAN_NAME})\s*[\]】]")
# Forum and blog bylines: "ggjjzhzz 发表于 2005-9-15", "by duscha", "本贴由大卫于…发表".
POSTED_BY_RES = (
    re.compile(r"^\s*(?P<names>[\w.·\-]{2,20})\s*(?:发表于|发布于|发表在|posted\b)", re.IGNORECASE),
    re.compile(
        r"(?:^|\s)[Bb][Yy]\s+(?P<names>[A-Z][\w.'’\-]+(?:\s+[A-Z][\w.'’\-]+){0,3})(?=\s|$|[,〓|])"
    ),
    re.compile(r"(?:^|\s)by\s+(?P<names>[\w.·\-]{2,20})(?=\s|$|〓)"),
    re.compile(r"由\s*(?P<names>[\w.·\-]{1,20}?)\s*于\s*\d{4}\s*年.{0,40}?发表"),
    # Blog post footers: "由海姑娘张贴 @ 2005-06-14 03:25:55", "由 admin 发表于 …".
    re.compile(
        r"^\s*由\s*(?P<names>[\w.·\-]{1,20}?)\s*(?:张贴|发表|发布|发帖|发贴)\s*(?:@|于|在|$)"
    ),
)
# Chinese numerals: "二十三、感赞" is a numbered heading, not a list of names.
NUMERAL_RE = re.compile(r"^[一二三四五六七八九十百零〇]+$")
# Organisation names end in these characters; a bare "name" ending so is not a person.
ORGANISATION_SUFFIX_RE = re.compile(r"[社网报台站部局院会厅委府司处所室馆团组栏刊]$")

# A publisher's name as printed without a label on a dateline: "C114通信网", "中国证券报".
PUBLISHER_NAME_RE = re.compile(
    r"^[\w\u4e00-\u9fff·]{1,16}(?:网|报|社|台|新闻|日报|晚报|周刊|时报|杂志|在线|传媒|媒体|通讯社"
    r"|财经|报道|客户端)$"
)

# The outlet before a reporter credit on an info line: "新京报记者 张三", "21世纪经济报道 记者 张三".
BYLINE_OUTLET_RE = re.compile(
    r"(?:^|[\s|｜丨])(?P<outlet>(?!本报|本台|本刊|本网|特约|实习)[\w\u4e00-\u9fff·]{2,16}?)"
    r"\s*(?:首席|特派|特约|驻[\u4e00-\u9fff]{1,4})?记者"
)

# A reprint credit opening a text: "本文来自微信公众号“晚点LatePost”，作者：赵宇，36氪经授权发布",
# "本文转载自公众号「远川研究所」": the source account, and the line is no article text.
REPRINT_CREDIT_RE = re.compile(
    r"^\s*(?:编者按[:：]\s*)?本文(?:转载|转)?(?:来自|来源于|转自|转载自|源自)\s*"
    r"(?:微信)?(?:公众号|公众平台|头条号|微博)?\s*[:：]?\s*[“\"「『]?(?P<name>[^”\"」』（(，,。：:\s]{2,20})"
)

# Text that ends a label's value: brackets, pipes and the like.
VALUE_STOP_RE = re.compile(r"[|｜丨【】\[\]（）()《》<>:：]|\s{3,}|&nbsp;|分享到|打印|关闭窗口")

# A personal name or handle as printed after an author label.
NAME_TOKEN_RE = re.compile(r"^[\w·.\-&'’]{1,20}$")
HAN_NAME_RE = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")

# Whole lines that are page furniture, not article text.
BOILERPLATE_LINE_RE = re.compile(
    r"(?:"
    r"^\s*[(（【\[]?\s*(?:责任编辑|责编|编辑|实习编辑|值班编辑|审核|校对|编审|审校|监制)\s*[:：]"
    r"|关注.{0,20}(?:微信|公众号|微博)"
    r"|扫一扫|扫描二维码|二维码|长按识别"
    r"|版权所有|版权声明|未经授权|未经许可|不得转载|禁止转载|转载请注明|All [Rr]ights [Rr]eserved"
    r"|^\s*Copyright|^\s*©"
    r"|^\s*(?:上一篇|下一篇|上一页|下一页|返回首页|返回顶部|返回列表|相关阅读|相关文章|相关新闻|延伸阅读|推荐阅读|热点文章|热门文章|猜你喜欢)"
    r"|^\s*分享到[:：]?"
    r"|查看心情排行|你看到此篇文章的感受是|第\s*\d+\s*[个位]\s*(?:阅览者|读者|访问者|浏览者)"
    r"|[【\[]\s*(?:打印|关闭|关闭窗口|我来说两句|推荐|收藏|大|中|小)\s*[】\]]"
    r"|^\s*(?:打印本页|关闭窗口|打印|关闭|收藏|分享|点赞|评论|举报|登录|注册)\s*$"
    r"|^\s*字号[:：]|^\s*【字体|^\s*[（(【\[]\s*(?:完|全文完|END|end)\s*[）)】\]]\s*$"
    r"|^\s*(?:网友评论|发表评论|查看评论|我要评论|评论\s*\d*\s*条)"
    r"|^\s*[【\[]?\s*(?:声明|免责声明)\s*[】\]]?\s*[:：]?|仅代表作者(?:本人)?(?:个人)?观点|不构成投资建议"
    r"|^\s*[（(]?\s*原标题\s*[:：]"
    r"|点击(?:查看)?大图|点击图片(?:进入|查看)|^\s*第\s*\d+\s*页\s*/?\s*共\s*\d+\s*页"
    r")"
)

# A line opening a summary block: "摘要：…", "【摘要】…", "内容提要：…".
_SUMMARY_LABEL = r"(?:摘\s*要|内容提要|提要|导读|核心提示)"
SUMMARY_LINE_RE = re.compile(
    rf"^\s*(?:[【\[]\s*{_SUMMARY_LABEL}\s*[】\]]\s*[:：]?|{_SUMMARY_LABEL}\s*[:：])\s*"
)

# Separators between crumbs of a breadcrumb.
CRUMB_SEPARATOR_RE = re.compile(r"\s*(?:>>|>|»|›|→|＞|/|＞＞|->|—>|\\|::)\s*")
# Crumbs that name no category: the site root, "you are here", the article itself.
NON_CATEGORY_CRUMBS = frozenset(
    {
        "首页",
        "网站首页",
        "主页",
        "正文",
        "文章页",
        "内容页",
        "详情",
        "详情页",
        "文章",
        "正文内容",
        "当前位置",
        "您的位置",
        "你的位置",
        "所在位置",
        "位置",
        "home",
        "Home",
        "首 页",
    }
)
CRUMB_PREFIX_RE = re.compile(
    r"^\s*(?:您|你)?\s*(?:现在|目前)?\s*的?\s*(?:当前|所在)?\s*(?:的)?\s*位置\s*[:：]?\s*"
)

# Labels some portals print inside the headline element: "主题：…", "标题：…".
TITLE_LABEL_RE = re.compile(r"^\s*(?:主题|标题|题目|文章标题|帖子主题)\s*[:：]\s*")
# "<title>" suffixes: headline first, then "-channel-site" parts.
TITLE_SEPARATOR_RE = re.compile(r"\s*(?:_|\||｜|--|—|–| - |-|::|·)\s*")

# Chinese and Western sentence punctuation: the signal that a block is prose.
PUNCTUATION_RE = re.compile(r"[，。；：！？、,.;!?“”\"]")

# Markers of a page section that starts after the article ends.
TAIL_SECTION_RE = re.compile(
    r"^\s*(?:(?:相关阅读|相关文章|相关新闻|相关链接|延伸阅读|推荐阅读|热点文章|热门推荐|热门文章|猜你喜欢"
    r"|更多精彩|网友评论|最新评论|发表评论|精彩推荐|为你推荐)\s*[:：]?"
    r"|(?i:related (?:articles|stories|posts|content|news|coverage)|\d*\s*comments?"
    r"|leave a (?:comment|reply)|you (?:may|might) also like|recommended(?: for you)?"
    r"|more (?:stories|from [\w\s]{1,30})|trending(?: now)?|most (?:popular|read)))\s*$"
)

# Words that make an unlabelled short line something other than a byline.
NOT_A_NAME_RE = re.compile(
    r"(?:首页|新闻|频道|网站|栏目|评论|登录|注册|返回|更多|分享|打印|关闭|专题|图片|视频|推荐|目录"
    r"|本报|作者|来源|记者|编辑|楼主|回复|点击|文章|阅读|统计|访问|分类|最新|热门|相关|字体|收藏"
    r"|前言|引言|结语|附录|摘要|导读|简介|说明|注释|正文|全文|上一|下一|出自|转自|来自|显示|摄影|题图|配图|实习生|通讯员"
    r"|www|http)",
    re.IGNORECASE,
)

# A date as portals print it, good enough to tell a dateline from prose (the full parser is
# crawler.dates): 2019-01-16, 2019/1/16, 2019.01.16, 2019年1月16日, 01-16 15:18.
DATE_HINT_RE = re.compile(
    r"(?:(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"|\d{1,2}\s*[-/月]\s*\d{1,2}\s*日?\s+\d{1,2}[:：]\d{2}"
    r"|\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)"
)
