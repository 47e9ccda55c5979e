"""Choosing the character encoding of an HTML response from a Chinese portal.

Why not trust the ``Content-Type`` header (as Scrapy does by default): Chinese portals very
often serve GBK pages with a wrong charset (``utf-8`` from a misconfigured proxy,
``ISO-8859-1`` from a Java container's default) or with none at all, and the ``<meta>``
declaration says ``gb2312`` while the text uses characters only GBK/GB18030 has.  Decoding with
the declared codec then yields mojibake or replacement characters in titles and bodies.

Decision rules of ``detect_html_encoding`` (each one is tested):

1. A byte-order mark wins (UTF-8, UTF-16 LE/BE): it cannot appear by accident.
2. If the body has non-ASCII bytes and is strictly valid UTF-8, it is UTF-8 whatever the header
   or meta say: GBK/Big5 text of any length is practically never valid UTF-8, so this check
   catches the frequent "header says gbk but the site was migrated to UTF-8" lie.
   The one exception is for *tiny* amounts of Chinese, where the UTF-8 coincidence does happen
   (GBK ``院`` is the bytes of UTF-8 ``Ժ``): if the UTF-8 reading contains no CJK character at
   all while a declared (header/meta) encoding decodes strictly to text containing common
   Chinese characters, the declaration wins.
3. A pure-ASCII body decodes the same in every candidate: the declared encoding (header, then
   meta) is returned, or ``utf-8``.
4. Otherwise the candidates, in order, are: header charset, meta charset, ``gb18030``,
   ``big5hkscs``; the first one that decodes the body strictly wins.  Names are normalised
   first, so a ``gb2312``/``gbk`` declaration decodes as ``gb18030`` (a strict superset that
   also covers the characters GB2312 pages use in practice).
   Deliberate refinements of that order:

   * Single-byte Western declarations (``iso-8859-1``, ``windows-1252``, ``ascii`` ...) are
     tried only after ``gb18030`` and ``big5hkscs``: latin-1 decodes *any* byte string, so
     trusting such a header (Tomcat's default) would turn every GBK page into mojibake.
   * When nothing was declared (or nothing declared decodes) and both ``gb18030`` and
     ``big5hkscs`` decode the body (Big5 byte pairs are nearly always valid GB18030 too), the
     one whose text contains more of the most common Chinese characters wins.
5. If no candidate decodes strictly, the candidate producing the fewest replacement characters
   is used (``decode_html`` then decodes with ``errors="replace"``), so garbage never raises.

"Strictly" tolerates an incomplete multi-byte sequence at the very end of the body, because
truncated downloads (size limits, dropped connections) cut characters in half.

Returned names are Python codec names: ``utf-8``, ``utf-16-le``, ``utf-16-be``, ``gb18030``,
``big5hkscs`` or whatever ``normalize_encoding_name`` gives for a declared charset.
"""

from __future__ import annotations

import codecs
import itertools
import re

__all__ = [
    "declared_meta_charset",
    "decode_html",
    "detect_html_encoding",
    "normalize_encoding_name",
]

#: How much of the body is searched for ``<meta charset>``; browsers look at the first 1024
#: bytes, but portals put long comments and scripts before their meta tags.
META_SNIFF_BYTES = 4096

#: Non-ASCII characters compared when choosing between gb18030 and big5hkscs readings.
_HANZI_SAMPLE_CHARS = 4096
_NON_ASCII_RE = re.compile("[^\x00-\x7f]")

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_GB_ALIASES = frozenset(
    {
        "gb2312",
        "gb_2312",
        "gb_2312-80",
        "gb2312-80",
        "gb2312-1980",
        "csgb2312",
        "iso-ir-58",
        "chinese",
        "gbk",
        "x-gbk",
        "cp936",
        "ms936",
        "windows-936",
        "euc-cn",
        "euccn",
        "x-euc-cn",
        "gb18030",
        "gb-18030",
        "gb18030-2000",
        "gb18030-2005",
        "gb18030-2022",
        "hz-gb-2312",  # a 7-bit GB encoding nobody serves; GB18030 is the safe reading
    }
)
_BIG5_ALIASES = frozenset(
    {
        "big5",
        "big-5",
        "big5-hkscs",
        "big5hkscs",
        "big5_hkscs",
        "cn-big5",
        "csbig5",
        "x-x-big5",
        "big5-tw",
        "cp950",
        "ms950",
        "windows-950",
    }
)
_UTF8_ALIASES = frozenset({"utf8", "utf-8", "utf_8", "unicode-1-1-utf-8", "x-unicode20utf8"})

#: Encodings that decode every byte string, so "it decoded" proves nothing (see rule 4).
_PERMISSIVE_SINGLE_BYTE = frozenset(
    {"latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15", "cp1250", "cp1251"}
)
#: Encodings in which "<meta" is not ASCII: a meta tag that we could read claiming one is wrong.
_ASCII_INCOMPATIBLE_PREFIXES = ("utf-16", "utf-32", "utf_16", "utf_32")

#: CJK punctuation, kana and unified ideographs (incl. extension A), full-width forms.
_CJK_RE = re.compile("[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

_META_CHARSET_RE = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*(?P<charset>[A-Za-z0-9_.:\-]+)"""
    rb"""|<\?xml\b[^>]*?\bencoding\s*=\s*["']\s*(?P<xml>[A-Za-z0-9_.:\-]+)""",
    re.IGNORECASE,
)

#: Frequent characters of running Chinese text, in both simplified and traditional forms.
#: Big5 bytes misread as GB18030 (and vice versa) almost never produce them.
_COMMON_HANZI = frozenset(
    "的一是不了在人有我他这个們们中来來上大为為和国國地到以说說时時要就出会會可也你对對生能而"
    "子那得于於着著下自之年过過发發后後作里裡用道行所然家种種事成方多经經么麼去法学學如都同现現"
    "当當没沒动動面起看定天分还還进進好小部其些主样樣理心她本前开開但因只从從想实實日军軍者意无"
    "無力它与與长長把机機十民第公此已工使情明性知全三又关關点點正业業外将將两兩高间間由问問很最"
    "重并並物手应應战戰向头頭文体體政美相见見被利什二等产產或新己制製身果加西斯月话話合回特代内"
    "內信表化老给給世位次度门門任常先海通教儿兒原东東声聲提立及比员員解水名真论論处處走义義各入"
    "几幾口认認条條平系气氣题題活尔爾更别別打女变變四神总總何电電数數安少报報才结結反受目太量再"
    "感建务務做接必场場件计計管期市直德资資命山金指克许許统統区區保至队隊形社便空决決治展马馬科"
    "司五基眼书書非则則听聽白却卻界达達光放强強即像难難且权權思王象完设設式色路记記南品住告类類"
    "求据據程北边邊死张張该該交规規万萬取拉格望觉覺术術领領共确確传傳师師观觀清今切院让讓识識候"
    "带帶导導争爭运運笑飞飛风風步改收根干幹造言联聯持组組每济濟车車亲親极極林服快办辦议議往元英"
    "士证證近失转轉夫令准準布始怎呢存未远遠叫台单單影具罗羅字爱愛击擊流备備兵连連调調深商算质質"
    "团團集百需价價花党黨华華城石级級整府离離况況亚亞请請技际際约約示复復病息究线線似官火断斷精"
    "满滿支视視消越器容照须須九增研写寫称稱企八功吗嗎包片史委乎查轻輕易早曾除农農找装裝广廣显顯"
    "吧阿李标標谈談吃图圖念六引历歷首医醫局突专專费費号號尽盡另周较較注语語仅僅考落青随隨选選列"
    "武红紅响響虽雖推势勢参參希古众眾构構房半节節土投某案黑维維革划劃敌敵致陈陳律足态態护護七兴"
    "興派孩验驗责責营營星够夠章音跟志底站严嚴巴例防族供效续續施留讲講型料终終答紧緊黄黃绝絕奇察"
    "母京段依批群项項故按河米围圍江织織害斗鬥双雙境客纪紀采採举舉杀殺攻父苏蘇密低朝友诉訴止细細"
    "愿願千值仍男钱錢破网網热熱助倒育属屬坐帝限船脸臉职職速刻乐樂否刚剛威毛状狀率甚独獨球般普怕"
    "弹彈校苦创創假久错錯承印晚兰蘭试試股拿脑腦预預谁誰益阳陽若哪微尼继繼送急血惊驚伤傷素药藥适"
    "適波夜省初喜卫衛源食险險待述陆陸习習置居劳勞财財环環排福纳納欢歡雷警获獲模充负負云雲停木游"
    "遊龙龍树樹疑层層冷洲冲衝射略范範竟句室异異激汉漢村哈策演简簡卡罪判担擔州静靜退既衣您宗积積"
    "余餘痛检檢差富灵靈协協角占配征修皮挥揮胜勝降阶階审審沉坚堅善妈媽刘劉读讀啊超免压壓银銀买買"
    "皇养養伊怀懷执執副乱亂抗犯追帮幫宣佛岁歲航优優怪香著田铁鐵控税稅左右份穿艺藝背阵陣草脚腳概"
    "恶惡块塊顿頓敢守酒岛島托央户戶烈洋哥索胡款靠评評版宝寶座释釋景顾顧弟登货貨互付伯慢欧歐换換"
    "闻聞危忙核暗姐介坏壞讨討丽麗良序升监監临臨亮露永呼味野架域沙掉括舰艦鱼魚杂雜误誤湾灣吉减減"
    "编編楚肯测測败敗屋跑梦夢散温溫困剑劍渐漸封救贵貴枪槍缺楼樓县縣尚毫移娘朋画畫班智亦耳恩短掌"
    "恐遗遺固席松秘谢謝鲁魯遇康虑慮幸均销銷钟鐘诗詩藏赶趕剧劇票损損忽巨炮旧舊端探湖录錄叶葉春乡"
    "鄉附吸予礼禮港雨呀板庭妇婦归歸睛饭飯额額含顺順输輸摇搖招婚脱脫补補谓謂督毒油疗療旅泽澤材灭"
    "滅逐莫笔筆亡鲜鮮词詞圣聖择擇寻尋厂廠睡博勒烟煙授诺諾伦倫岸奥奧唐卖賣俄炸载載洛健堂旁宫宮喝"
    "借君禁阴陰园園谋謀宋避抓荣榮姑孙孫逃牙束跳顶頂玉镇鎮雪午练練迫爷爺篇肉嘴馆館遍凡础礎洞卷坦"
    "牛宁寧纸紙诸諸训訓私庄莊祖丝絲翻暴森塔默握戏戲隐隱熟骨访訪弱蒙歌店鬼软軟典欲萨薩伙遭盘盤爸"
    "扩擴盖蓋弄雄稳穩忘亿億刺拥擁徒姆杨楊齐齊赛賽趣曲刀床迎冰虚虛玩析窗醒妻透购購替塞努休虎扬揚"
    "途侵刑绿綠兄迅套贸貿毕畢唯谷轮輪库庫迹跡尤竞競街促延震弃棄甲伟偉麻川申缓緩潜潛闪閃售灯燈针"
    "針哲络絡抵朱埃抱鼓植纯純夏忍页頁杰筑築折郑鄭贝貝尊吴吳秀混臣雅振染盛怒舞圆圓搞狂措姓残殘秋"
    "培迷诚誠宽寬宇猛摆擺梅毁毀伸摩盟末乃悲拍丁赵趙筹籌港"
    "年月日时分秒市省县区网站新闻报道记者编辑发布来源责任浏览次数公司企业行业产品技术服务信息"
    "年月日時分秒縣區網站新聞報導記者編輯發佈來源責任瀏覽次數產業資訊"
)


def normalize_encoding_name(name: str | None) -> str | None:
    """gbk/gb2312/gb_2312-80/x-gbk/cp936/euc-cn -> 'gb18030'; big5/big5-hkscs/cp950 ->
    'big5hkscs'; utf8/UTF-8 -> 'utf-8'; unknown names -> None (use codecs.lookup to validate).

    Why widen GB2312/GBK to GB18030 and Big5 to Big5-HKSCS: pages declaring the narrow charset
    routinely contain characters only the superset has (e.g. 镕, 堃, HK place names), and the
    superset decodes every valid narrow-charset byte string identically.  Other known names
    come back as Python's canonical codec name (``latin1`` -> ``iso8859-1``).  Quotes and
    whitespace around the name (``"GBK"``) are ignored.
    """
    if not name:
        return None
    cleaned = name.strip().strip("\"'").strip().lower()
    if not cleaned or not cleaned.isascii():
        return None
    if cleaned in _GB_ALIASES:
        return "gb18030"
    if cleaned in _BIG5_ALIASES:
        return "big5hkscs"
    if cleaned in _UTF8_ALIASES:
        return "utf-8"
    try:
        codec = codecs.lookup(cleaned)
    except (LookupError, ValueError):
        return None
    if not getattr(codec, "_is_text_encoding", True):
        return None  # "base64", "rot13", "zlib" ... are codecs, not charsets
    canonical = codec.name
    if canonical in ("gbk", "gb2312"):
        return "gb18030"
    if canonical in ("big5", "cp950"):
        return "big5hkscs"
    return canonical


def declared_meta_charset(body: bytes) -> str | None:
    """Charset declared by <meta charset> / <meta http-equiv content="...charset=..."> in the
    first ~4 KB, normalised.

    Also honours an XML declaration (``<?xml ... encoding="gbk"?>``) for XHTML pages.  The
    first declaration naming a known charset wins; unknown names are skipped.  A meta tag that
    claims UTF-16/UTF-32 is read as UTF-8 (as browsers do): we could only read the tag because
    the bytes are ASCII-compatible, so the claim is false.
    """
    head = body[:META_SNIFF_BYTES]
    for found in _META_CHARSET_RE.finditer(head):
        raw = found.group("charset") or found.group("xml")
        normalised = normalize_encoding_name(raw.decode("ascii", "replace"))
        if normalised is None:
            continue
        if normalised.startswith(_ASCII_INCOMPATIBLE_PREFIXES):
            return "utf-8"
        return normalised
    return None


def _bom_encoding(body: bytes) -> tuple[str, int] | None:
    """(encoding, BOM length) when the body starts with a byte-order mark."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return encoding, len(bom)
    return None


def _decode_strictly(body: bytes, encoding: str) -> str | None:
    """Decode, or None if any byte is invalid -- except an incomplete sequence at the very end
    (truncated download), which becomes one U+FFFD instead of disqualifying the encoding."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        text = decoder.decode(body, final=False)
        pending, _ = decoder.getstate()
    except (UnicodeDecodeError, LookupError, ValueError, TypeError):
        return None
    if pending:
        text += "\ufffd"
    return text


def _common_hanzi_score(text: str) -> int:
    """How many of the first few thousand non-ASCII characters are very common Chinese ones.

    Only non-ASCII characters are sampled because a page's first kilobytes are often pure
    ASCII (scripts, CSS), which would leave both readings with a score of zero.
    """
    sample = itertools.islice(_NON_ASCII_RE.finditer(text), _HANZI_SAMPLE_CHARS)
    return sum(1 for found in sample if found.group() in _COMMON_HANZI)


def _declared_reading_if_utf8_is_a_coincidence(
    body: bytes, as_utf8: str, trusted: list[str]
) -> tuple[str, str] | None:
    """The exception to rule 2: (encoding, text) of a declared encoding when the body's UTF-8
    reading has no CJK at all but the declared reading has common Chinese characters."""
    other_declared = [name for name in trusted if name != "utf-8"]
    if not other_declared or _CJK_RE.search(as_utf8) is not None:
        return None
    for encoding in other_declared:
        text = _decode_strictly(body, encoding)
        if text is not None and _common_hanzi_score(text) > 0:
            return encoding, text
    return None


def _declared_candidates(body: bytes, header_charset: str | None) -> list[str]:
    """Header then meta charset, normalised, without duplicates or ASCII-incompatible names."""
    declared: list[str] = []
    for name in (normalize_encoding_name(header_charset), declared_meta_charset(body)):
        if name is None or name in declared:
            continue
        if name.startswith(_ASCII_INCOMPATIBLE_PREFIXES):
            continue  # UTF-16/32 without a BOM: far likelier a lie than a real UTF-16 page
        declared.append(name)
    return declared


def _detect(body: bytes, header_charset: str | None) -> tuple[str, str | None]:
    """The encoding per the module's rules, plus the decoded text when it was already
    produced while deciding (so ``decode_html`` never decodes twice)."""
    bom = _bom_encoding(body)
    if bom is not None:
        encoding, bom_length = bom
        return encoding, body[bom_length:].decode(encoding, "replace")

    if body.isascii():
        declared = _declared_candidates(body, header_charset)
        return (declared[0] if declared else "utf-8"), None

    declared = _declared_candidates(body, header_charset)
    trusted = [name for name in declared if name not in _PERMISSIVE_SINGLE_BYTE]
    permissive = [name for name in declared if name in _PERMISSIVE_SINGLE_BYTE]

    as_utf8 = _decode_strictly(body, "utf-8")
    if as_utf8 is not None:
        better = _declared_reading_if_utf8_is_a_coincidence(body, as_utf8, trusted)
        return better if better is not None else ("utf-8", as_utf8)

    for encoding in trusted:
        if encoding == "utf-8":
            continue  # already known to fail
        text = _decode_strictly(body, encoding)
        if text is not None:
            return encoding, text

    as_gb = None if "gb18030" in trusted else _decode_strictly(body, "gb18030")
    as_big5 = None if "big5hkscs" in trusted else _decode_strictly(body, "big5hkscs")
    if as_gb is not None and as_big5 is not None:
        if _common_hanzi_score(as_big5) > _common_hanzi_score(as_gb):
            return "big5hkscs", as_big5
        return "gb18030", as_gb
    if as_gb is not None:
        return "gb18030", as_gb
    if as_big5 is not None:
        return "big5hkscs", as_big5

    for encoding in permissive:
        text = _decode_strictly(body, encoding)
        if text is not None:
            return encoding, text

    return _least_damaged(body, declared), None


def _least_damaged(body: bytes, declared: list[str]) -> str:
    """Last resort: the candidate whose lenient decoding has the fewest replacement characters.

    Only a bounded prefix is scored so that a 10 MB binary blob costs milliseconds; ties go to
    the earlier candidate (declared ones first).
    """
    sample = body[:65536]
    best_encoding = "gb18030"
    best_damage: int | None = None
    for encoding in [*declared, "gb18030", "utf-8", "big5hkscs"]:
        try:
            damage = sample.decode(encoding, "replace").count("\ufffd")
        except (LookupError, ValueError, TypeError):
            continue
        if best_damage is None or damage < best_damage:
            best_encoding, best_damage = encoding, damage
    return best_encoding


def detect_html_encoding(body: bytes, header_charset: str | None = None) -> str:
    """The encoding to decode ``body`` with (rules in the module docstring).

    ``header_charset`` is the charset parameter of the Content-Type header as sent (any
    spelling, None if absent).  Never raises.
    """
    return _detect(bytes(body), header_charset)[0]


def decode_html(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """(text, encoding) — never raises on bad bytes (replacement characters as last resort).

    A byte-order mark is stripped from the text.  The body is decoded at most once more than
    the detection needs, and usually not at all (detection hands its text over).
    """
    body = bytes(body)
    encoding, text = _detect(body, header_charset)
    if text is None:
        try:
            text = body.decode(encoding, "replace")
        except (LookupError, ValueError, TypeError):
            encoding, text = "utf-8", body.decode("utf-8", "replace")
    return text, encoding
