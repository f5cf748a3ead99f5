"""Text material for the synthetic mirror, taken from the one real page we hold
(and the quirks the site README lists). Everything is picked deterministically."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

SITE_NAME = "徐州厂房网"
CATEGORIES = {
    1: "徐州厂房出租",
    2: "徐州厂房出售",
    3: "徐州产业信息",
    4: "徐州土地出售",
    5: "徐州仓库出租",
}
CATEGORY_WEIGHTS = {1: 2, 2: 1, 3: 5, 4: 1, 5: 1}

PLACES = ["徐州", "贾汪", "铜山", "睢宁", "邳州", "新沂", "沛县", "丰县", "鼓楼", "云龙", "泉山", "徐州经开区", "淮海"]
TOPICS = [
    "高新技术产业园",
    "5G产业园",
    "科创园区",
    "物流园",
    "新能源汽车产业基地",
    "智能制造园区",
    "标准厂房项目",
    "工业用地",
    "科创产业带",
    "大学生创业园",
    "生物医药园区",
    "产业园",
]
ACTIONS = [
    "揭牌",
    "开工建设",
    "签约落户",
    "正式投用",
    "招商推介会举行",
    "入选省级名单",
    "加快建设",
    "迎来新项目",
    "发布扶持政策",
    "获批国家级试点",
]
PROPERTY = {
    1: "{place}{area}平米单层厂房出租 {detail}",
    2: "{place}{area}平米独栋厂房出售 {detail}",
    4: "{place}{mu}亩工业用地出售 {detail}",
    5: "{place}{area}平米高台仓库出租 {detail}",
}
PROPERTY_DETAILS = [
    "层高8米可装行车",
    "证件齐全可按揭",
    "近高速口交通便利",
    "配套办公楼宿舍",
    "环评可办",
    "园区统一管理",
]
PROPERTY_LINES = [
    "厂房位于{place}工业集中区，{area}平方米，层高8米，地面承重每平方米3吨。",
    "配电400KVA，可装10吨行车，消防喷淋齐全，适合机械加工、仓储物流等行业。",
    "园区内有员工宿舍和食堂，距离高速出口约5公里，交通便利。",
    "租金面议，可分租，欢迎实地看厂。",
    "土地性质为工业用地，{mu}亩，手续齐全，适合高端装备、新材料等项目落户。",
    "周边已有多家5G通信与新能源企业入驻，产业配套成熟。",
]
ROADS = ["工业大道", "创业路", "科技路", "经一路", "纬二路", "港口路", "园区大道", "振兴路", "银山路", "金港路"]
KEYWORDS = ["科创园", "长三角", "产业园", "厂房出租", "工业用地", "招商引资", "5G", "园区", "新能源", "物流仓储"]
REPORTERS = ["裘培兴", "吴云", "张洪武", "徐承德肖昌琦", "王晓", "李明", "陈静"]
SOURCES = ["新华日报", "徐州日报", "中国江苏网", "交汇点新闻", "澎湃新闻"]
CAPTIONS = ["项目效果图", "园区一角", "签约仪式现场", "标准厂房外景", "（图为园区航拍）"]
DEBRIS_HEAD = ["原标题：{title}", "新华报业网首页正文", "您的浏览器不支持html5的audio标签"]
DEBRIS_TAIL = ["免责声明：本文转自网络，版权归原作者所有，如涉及作品版权问题，请及时与我们联系。"]
QUIRKS = [("最", "蕞"), ("最", "*近"), ("今年", "**年")]
EXTRA_SENTENCES = [
    "徐州5G基站建设提速，园区实现千兆网络全覆盖。",
    "园区管委会表示，将继续优化营商环境，加快项目落地。",
    "记者了解到，该项目一期工程预计明年投产。",
    "徐州市将在科创产业带上布局一批5G应用场景。",
    "与此同时，园区还引进了多家高校科研团队。",
]

PROMO_HTML = (
    "<p><strong>葛毅明微信号</strong><br/>产业招商/厂房土地租售：400 0123 021<br/>"
    "或微信/手机：13391219793&nbsp;<br/>请说明您的需求、用途、税收、公司、联系人、手机号，以便快速帮您对接资源。"
    "&nbsp;<br/>长按/扫一扫加葛毅明的微信号</p>"
)
# A rental ad's own contact line, as a post of the network writes it (the platform check's post)
CONTACT_LINE = "租金面议，可分租，价格优惠，欢迎实地考察。联系电话：400 0123 021。"
COPYRIGHT_TEXT = "版权声明：本文由{site}发布，如需转载请注明出处。部份内容收集于网络，如有不妥之处请联系我们删除 400-0123-021&nbsp;或 13391219793"


SEED_TITLE = "左手徐州右手上海！无锡惠山构建“一城两区”联动科创产业带"


def seed_html() -> bytes:
    return resources.files("xzcrawler.mirror").joinpath("article-2176.html").read_bytes()


def tpure_seed_html() -> bytes:
    """../shared/site/tpure/article-2176.html: the one real page, in the network's real theme."""
    return resources.files("xzcrawler.mirror").joinpath("tpure-article-2176.html").read_bytes()


@lru_cache(maxsize=1)
def seed_paragraphs() -> list[str]:
    html = seed_html().decode("utf-8")
    return [re.sub(r"<[^>]+>", "", p).strip("\u3000 ") for p in re.findall(r"<p>　　(.*?)</p>", html)]


@lru_cache(maxsize=1)
def sentences() -> list[str]:
    html = seed_html().decode("utf-8")
    text = "".join(seed_paragraphs())
    related = html[html.index('<div class="related">') : html.index('<div class="sidebar">')]
    excerpts = re.findall(r"<p>(.*?)</p>", related)
    text += "".join(e.replace("...", "。").replace("   ", "") for e in excerpts)
    found = [s + "。" for s in re.split(r"。", text) if 12 <= len(s) <= 160 and "（裘培兴）" not in s]
    return found + EXTRA_SENTENCES


@lru_cache(maxsize=1)
def seed_related() -> dict[int, str]:
    """Titles the seed page gives its related articles (their ids exist in the mirror)."""
    html = seed_html().decode("utf-8")
    return {
        int(i): t
        for i, t in re.findall(
            r'<h3><a href="http://xuzhou\.021cf\.cn/index\.php/post/(\d+)\.html" title="([^"]+)"', html
        )
    }
