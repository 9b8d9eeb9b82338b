"""Generated data: the fictional demo district 示范区 (the province-size benchmark dataset is in
``projects.bench``, built from the same catalogue).

Both come from a seeded random number generator and an assessment date (today by
default), so one seed on one day always gives the same rows. The demo district is built
to look like a real key-project ledger in late autumn: plans for this year and next,
monthly reports for every month already closed, milestones reverse-scheduled from the
standard templates (倒排工期), and a light mix of roughly 60% green, 25% yellow and 15%
red for different reasons (investment behind, milestone overdue, not started).

Rows are written with ``bulk_create``: loading demo data is not a user's change, so it
bypasses the services, but each demo project still gets one audit entry (source
``demo``) so its history page shows where it came from.
"""
from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import ProtectedError

from audit.models import AuditEntry
from audit.services import audit_record
from core import demo as core_demo
from org.demo import DEMO_LOGINS, DEMO_PASSWORD
from org.models import Holiday, Unit, User
from org.workdays import WorkCalendar
from projects import rules, services
from projects.models import (
    ZERO,
    AnnualPlan,
    Construction,
    FundingSource,
    Level,
    Milestone,
    MilestoneTemplate,
    ProgressReport,
    Project,
    ProjectCategory,
    ProjectType,
    Stage,
)

DEMO_CODE_PREFIX = "SF-"
DEMO_SEED = core_demo.DEMO_SEED
CENT = Decimal("0.01")

# --- the demo district ----------------------------------------------------------------------

DISTRICT = ("示范区人民政府", "示范区")
# name, assessment category, population, km north and east of the map centre
TOWNS: list[tuple[str, str, int, float, float]] = [
    ("城关街道", "城区街道", 98600, 0.0, 0.0),
    ("东城街道", "城区街道", 86300, 1.5, 5.0),
    ("西城街道", "城区街道", 74100, 0.5, -5.5),
    ("滨河街道", "城区街道", 61800, -4.5, 2.0),
    ("高新区街道", "城区街道", 52400, 6.0, 8.5),
    ("金岭镇", "工业镇", 45200, 9.0, -9.5),
    ("石桥镇", "工业镇", 41500, -9.0, 10.0),
    ("龙泉镇", "工业镇", 38700, -11.5, -6.0),
    ("新华镇", "工业镇", 43900, 12.5, 2.5),
    ("柳河镇", "农业镇", 35600, -13.0, 11.5),
    ("双山镇", "农业镇", 31200, 12.0, -12.5),
    ("杨庄镇", "农业镇", 29800, -5.0, -15.0),
]
# full name, short name ("" when the full name is what people say)
DEPARTMENTS: list[tuple[str, str]] = [
    ("发展和改革局", "发改局"),
    ("工业和信息化局", "工信局"),
    ("商务局", ""),
    ("住房和城乡建设局", "住建局"),
    ("自然资源局", ""),
    ("交通运输局", ""),
    ("水利局", ""),
    ("教育和体育局", "教体局"),
    ("卫生健康局", "卫健局"),
    ("文化和旅游局", "文旅局"),
    ("农业农村局", ""),
    ("市生态环境局示范区分局", "生态环境分局"),
    ("城市管理局", "城管局"),
    ("应急管理局", "应急局"),
    ("财政局", ""),
    ("行政审批服务局", "行政审批局"),
    ("投资促进服务中心", "投促中心"),
    ("科学技术局", "科技局"),
    ("民政局", ""),
    ("人力资源和社会保障局", "人社局"),
]
# username, full name, title; "leader" is the demo login of this role
LEADERS: list[tuple[str, str, str]] = [
    ("leader", "王建国", "区委副书记、区长"),
    ("leader_li", "李志强", "区委常委、常务副区长"),
    ("leader_zhang", "张海燕", "副区长"),
    ("leader_liu", "刘振华", "副区长"),
    ("leader_chen", "陈立新", "副区长"),
]
OFFICE_UNIT = "发改局"
REPORTER_UNIT = "高新区街道"

P, C, D = Level.PROVINCE.value, Level.CITY.value, Level.DISTRICT.value
IND, INF, LIV, OTH = (
    ProjectType.INDUSTRY.value,
    ProjectType.INFRASTRUCTURE.value,
    ProjectType.LIVELIHOOD.value,
    ProjectType.OTHER.value,
)
# level, type, industry, name ({year} is this year), lead unit, town (None: several towns), owner
CATALOGUE: list[tuple[str, str, str, str, str, str | None, str]] = [
    (P, IND, "新材料", "高端化工新材料产业园一期项目", "工信局", "金岭镇", "山东鲁中新材料产业园发展有限公司"),
    (P, IND, "汽车零部件", "新能源汽车零部件产业园项目", "投促中心", "高新区街道", "山东恒信汽车零部件有限公司"),
    (P, IND, "高端装备", "智能制造装备产业园项目", "工信局", "高新区街道", "山东瑞丰智能装备股份有限公司"),
    (P, INF, "交通", "示范区至港口快速路工程", "交通运输局", None, "示范区交通发展集团有限公司"),
    (P, IND, "化工新材料", "年产30万吨高性能树脂项目", "工信局", "石桥镇", "山东华宇化工有限公司"),
    (P, IND, "新能源", "200兆瓦渔光互补光伏发电项目", "发改局", "柳河镇", "示范区绿能新能源有限公司"),
    (C, IND, "新材料", "年产5万吨新型材料项目", "工信局", "金岭镇", "山东金泰新材料科技有限公司"),
    (C, INF, "水务", "高新区污水处理厂提标改造工程", "住建局", "高新区街道", "示范区水务集团有限公司"),
    (C, LIV, "医疗卫生", "第三人民医院新院区建设项目", "卫健局", "东城街道", "示范区第三人民医院"),
    (C, IND, "电子信息", "半导体封装测试基地项目", "投促中心", "高新区街道", "山东芯源半导体有限公司"),
    (C, IND, "生物医药", "生物医药产业园一期项目", "科技局", "高新区街道", "示范区生物医药产业发展有限公司"),
    (C, IND, "高端装备", "年产2万台智能农机装备项目", "工信局", "新华镇", "山东润禾农业装备有限公司"),
    (C, INF, "水利", "柳河生态综合治理工程", "水利局", "柳河镇", "示范区水务集团有限公司"),
    (C, IND, "现代物流", "冷链物流园项目", "商务局", "石桥镇", "山东汇通冷链物流有限公司"),
    (C, IND, "食品加工", "年产10万吨绿色食品精深加工项目", "农业农村局", "双山镇", "山东禾丰食品有限公司"),
    (C, IND, "文化旅游", "龙泉山文旅康养综合体项目", "文旅局", "龙泉镇", "示范区文旅发展集团有限公司"),
    (C, INF, "农业", "2万亩高标准农田建设项目", "农业农村局", "杨庄镇", "示范区农业农村局"),
    (C, INF, "交通", "滨河路东延工程", "交通运输局", "滨河街道", "示范区城市建设投资集团有限公司"),
    (C, LIV, "教育", "第一中学新校区建设项目", "教体局", "西城街道", "示范区教育和体育局"),
    (C, IND, "新能源", "100兆瓦/200兆瓦时储能电站项目", "发改局", "金岭镇", "山东博远储能科技有限公司"),
    (C, IND, "数字经济", "数字经济产业园项目", "工信局", "高新区街道", "示范区高新技术产业投资有限公司"),
    (C, INF, "水务", "城乡供水一体化工程", "水利局", None, "示范区水务集团有限公司"),
    (C, LIV, "医疗卫生", "中医院扩建项目", "卫健局", "城关街道", "示范区中医院"),
    (C, IND, "商贸", "跨境电商产业园项目", "商务局", "东城街道", "山东众诚供应链管理有限公司"),
    (C, IND, "装备制造", "精密铸造产业升级项目", "工信局", "石桥镇", "山东宏达精密铸造有限公司"),
    (C, INF, "城市更新", "城区集中供热管网改造工程", "城管局", "城关街道", "示范区热力有限公司"),
    (C, LIV, "老旧小区改造", "{year}年老旧小区改造工程", "住建局", "城关街道", "示范区住房和城乡建设局"),
    (C, IND, "高端装备", "年产50万台高效节能电机项目", "工信局", "高新区街道", "山东凯盛电机有限公司"),
    (D, IND, "食品加工", "年产3000吨食品添加剂项目", "工信局", "新华镇", "山东新阳生物科技有限公司"),
    (D, IND, "汽车零部件", "年产500万套汽车线束项目", "投促中心", "高新区街道", "示范区恒通汽车电子有限公司"),
    (D, IND, "纺织服装", "纺织印染智能化技术改造项目", "工信局", "新华镇", "山东华纺印染有限公司"),
    (D, IND, "农副产品加工", "年产20万吨饲料加工项目", "农业农村局", "柳河镇", "山东丰源饲料有限公司"),
    (D, IND, "食品加工", "预制菜加工项目", "商务局", "双山镇", "示范区鲜味源食品有限公司"),
    (D, IND, "新型建材", "新型建材产业园项目", "工信局", "金岭镇", "山东鲁建新型建材有限公司"),
    (D, IND, "新能源", "年产1万吨锂电池负极材料项目", "投促中心", "高新区街道", "山东碳谷新能源材料有限公司"),
    (D, IND, "现代物流", "智能仓储物流中心项目", "商务局", "石桥镇", "示范区顺达物流有限公司"),
    (D, IND, "家居制造", "木业家居智能制造项目", "工信局", "杨庄镇", "山东森美家居有限公司"),
    (D, IND, "生物医药", "医用防护用品生产线项目", "科技局", "高新区街道", "山东康护医疗用品有限公司"),
    (D, IND, "装备制造", "高端轴承生产项目", "工信局", "龙泉镇", "山东精工轴承有限公司"),
    (D, IND, "现代物流", "农产品电商物流园项目", "商务局", "柳河镇", "示范区农联电子商务有限公司"),
    (D, IND, "现代农业", "现代农业产业园项目", "农业农村局", "双山镇", "示范区现代农业发展有限公司"),
    (D, IND, "数字经济", "工业互联网平台建设项目", "工信局", "高新区街道", "山东智联工业互联网有限公司"),
    (D, IND, "包装印刷", "绿色包装材料技术改造项目", "工信局", "新华镇", "山东华印包装有限公司"),
    (D, IND, "现代农业", "食用菌工厂化种植项目", "农业农村局", "杨庄镇", "示范区菌源农业科技有限公司"),
    (D, IND, "循环经济", "再生资源循环利用项目", "发改局", "金岭镇", "山东绿循再生资源有限公司"),
    (D, IND, "商贸", "城市商业综合体项目", "商务局", "城关街道", "示范区万和商业管理有限公司"),
    (D, IND, "新能源", "氢能装备研发生产项目", "科技局", "高新区街道", "山东氢动力科技有限公司"),
    (D, IND, "商贸", "电商直播基地项目", "商务局", "东城街道", "示范区云播网络科技有限公司"),
    (D, IND, "农副产品加工", "肉牛养殖及屠宰加工项目", "农业农村局", "杨庄镇", "山东鲁牛畜牧有限公司"),
    (D, IND, "化工新材料", "精细化工中间体项目", "工信局", "金岭镇", "山东鑫瑞化工有限公司"),
    (D, IND, "电子信息", "光学膜材料项目", "投促中心", "高新区街道", "山东光谷新材料有限公司"),
    (D, IND, "装备制造", "环保设备制造项目", "工信局", "龙泉镇", "山东蓝天环保设备有限公司"),
    (D, INF, "园区配套", "金岭镇工业园区道路及管网配套工程", "住建局", "金岭镇", "金岭镇人民政府"),
    (D, INF, "水务", "城区雨污分流改造工程", "住建局", "东城街道", "示范区水务集团有限公司"),
    (D, INF, "交通", "农村公路提档升级工程", "交通运输局", None, "示范区交通运输局"),
    (D, INF, "水利", "龙泉水库除险加固工程", "水利局", "龙泉镇", "示范区水利局"),
    (D, INF, "城市更新", "智慧停车场建设项目", "城管局", "城关街道", "示范区城市建设投资集团有限公司"),
    (D, INF, "交通", "公交首末站及充电场站项目", "交通运输局", "西城街道", "示范区公共交通有限公司"),
    (D, INF, "交通", "西城街道安置区配套道路工程", "住建局", "西城街道", "西城街道办事处"),
    (D, INF, "生态环保", "农村生活污水治理工程", "生态环境分局", None, "示范区水务集团有限公司"),
    (D, INF, "城市更新", "城市绿道及口袋公园建设项目", "城管局", "滨河街道", "示范区城市管理局"),
    (D, INF, "能源", "石桥镇集中供热站项目", "住建局", "石桥镇", "示范区热力有限公司"),
    (D, INF, "新基建", "5G基站及算力中心建设项目", "工信局", "高新区街道", "示范区数字科技有限公司"),
    (D, INF, "园区配套", "高新区标准厂房及配套工程", "投促中心", "高新区街道", "示范区高新技术产业投资有限公司"),
    (D, LIV, "医疗卫生", "妇幼保健院综合楼建设项目", "卫健局", "东城街道", "示范区妇幼保健院"),
    (D, LIV, "教育", "东城实验学校建设项目", "教体局", "东城街道", "示范区教育和体育局"),
    (D, LIV, "教育", "5所公办幼儿园建设项目", "教体局", None, "示范区教育和体育局"),
    (D, LIV, "养老", "养老服务中心建设项目", "民政局", "滨河街道", "示范区民政局"),
    (D, LIV, "文体", "全民健身中心建设项目", "教体局", "西城街道", "示范区教育和体育局"),
    (D, LIV, "住房保障", "保障性租赁住房项目", "住建局", "高新区街道", "示范区安居置业有限公司"),
    (D, LIV, "医疗卫生", "疾控中心业务楼建设项目", "卫健局", "城关街道", "示范区疾病预防控制中心"),
    (D, LIV, "教育", "职业教育实训基地项目", "人社局", "新华镇", "示范区职业中等专业学校"),
    (D, LIV, "医疗卫生", "镇街卫生院能力提升工程", "卫健局", None, "示范区卫生健康局"),
    (D, LIV, "文体", "文化中心建设项目", "文旅局", "滨河街道", "示范区文化和旅游局"),
    (D, LIV, "住房保障", "人才公寓建设项目", "人社局", "高新区街道", "示范区安居置业有限公司"),
    (D, LIV, "商贸", "双山镇农贸市场改造提升项目", "商务局", "双山镇", "双山镇人民政府"),
    (D, OTH, "应急", "应急物资储备库建设项目", "应急局", "石桥镇", "示范区应急管理局"),
    (D, OTH, "数字政府", "智慧城市运营中心项目", "行政审批局", "城关街道", "示范区大数据中心"),
    (D, OTH, "生态修复", "国土空间生态修复工程", "自然资源局", "龙泉镇", "示范区自然资源局"),
    (D, OTH, "生态修复", "废弃矿山地质环境治理项目", "自然资源局", "金岭镇", "示范区自然资源局"),
]

# The categories and funding sources the migrations seed (projects/migrations/0010): name, 民生实事, order.
# The demo creates the ones missing (a flushed test database, a district that renamed them) under these names.
CATEGORIES: list[tuple[str, bool, int]] = [
    ("工业", False, 1), ("文旅", False, 2), ("现代农业", False, 3), ("商贸物流", False, 4), ("基础设施", False, 5),
    ("社会事业", False, 6), ("民生实事", True, 7),
]
FUNDING_SOURCES: list[tuple[str, int]] = [
    ("政府投资", 1), ("社会投资", 2), ("专项债", 3), ("国有企业投资", 4), ("其他", 5),
]
# A project's category by its 所属行业 where that says more than its type; "" leaves it 未分类, as a few rows of
# a real list are (the ecological repair works fit none of the district's categories).
CATEGORY_BY_INDUSTRY: dict[tuple[str, str], str] = {
    (IND, "文化旅游"): "文旅", (IND, "现代农业"): "现代农业", (IND, "农副产品加工"): "现代农业",
    (IND, "现代物流"): "商贸物流", (IND, "商贸"): "商贸物流", (INF, "农业"): "现代农业",
    (LIV, "文体"): "社会事业", (OTH, "应急"): "社会事业", (OTH, "生态修复"): "",
}
CATEGORY_BY_TYPE = {IND: "工业", INF: "基础设施", LIV: "民生实事", OTH: "基础设施"}
# Works of other categories on the year's 民生实事 list (the project's own flag, beside its category's).
LIVELIHOOD_WORKS = {"城乡供水一体化工程", "农村公路提档升级工程", "城区集中供热管网改造工程"}
# Owners that are the district's state-owned companies (城投, 水务, 热力…) rather than private firms.
STATE_OWNED_WORDS = ("集团", "投资", "发展", "置业", "热力", "公共交通", "数字科技")

CONTENT: dict[str, str] = {
    IND: (
        "项目占地{land}亩，总建筑面积{floor}万平方米，新建生产车间、仓储及研发办公用房，购置主要生产设备{equip}台（套）。"
        "项目达产后可实现年营业收入{revenue}亿元、利税{tax}亿元，新增就业岗位{jobs}个。"
    ),
    INF: "主要建设相关设施{floor}万平方米，同步实施配套管网、道路及绿化工程。",
    LIV: "总建筑面积{floor}万平方米，建设主体建筑及室外配套工程，购置相关设备。",
    OTH: "建设相关设施及配套工程，建筑面积{floor}万平方米。",
    "园区配套": "新建园区道路{km}公里及供水、污水、燃气、电力等配套管网，建设标准厂房{floor}万平方米。",
    "能源": "新建{mw}兆瓦热源厂一座，配套建设一级供热管网{km}公里、换热站{pumps}座。",
    "新基建": "新建5G基站{sites}个，建设算力中心机房{floor}万平方米及配套供电、制冷系统。",
    "生态环保": "建设农村生活污水处理站{sites}座，铺设污水管网{km}公里，覆盖{villages}个村庄。",
    "城市更新": "实施管网更新、停车及绿化设施改造，涉及面积{floor}万平方米，配套建设智慧化管理系统。",
    "生态修复": "治理修复面积{land}亩，实施地形整治、边坡治理、植被恢复及监测设施建设。",
    "老旧小区改造": "改造老旧小区{estates}个、{households}户，实施管网更新、外墙保温、加装电梯及环境整治。",
    "应急": "新建应急物资储备库房{floor}万平方米，配套建设应急指挥调度平台。",
    "数字政府": "建设城市运行管理指挥中心及数据机房，建筑面积{floor}万平方米，接入全区政务数据资源。",
    "交通": "新建（改建）道路{km}公里，红线宽度{width}米，同步建设雨污水管网、照明、绿化及交通安全设施。",
    "水务": "新建及改造供排水管网{km}公里，新建（改造）泵站{pumps}座，配套建设自动化监控系统。",
    "水利": "综合治理河道（水库）岸线{km}公里，实施清淤疏浚、护岸加固、生态修复及配套设施建设。",
    "农业": "建设高标准农田，配套灌排渠系{km}公里、机耕路{road}公里及田间智能监测设施。",
    "医疗卫生": "总建筑面积{floor}万平方米，设置床位{beds}张，建设门急诊、医技、住院楼及配套设施。",
    "教育": "总建筑面积{floor}万平方米，设置教学班{classes}个，可提供学位{seats}个，建设教学楼、综合楼、风雨操场等。",
}
PHASES: dict[str, list[tuple[int, str]]] = {
    IND: [(15, "场地平整及基础施工"), (40, "主体结构施工"), (60, "主体封顶，进行屋面及墙体施工"),
          (80, "设备基础施工，主要设备陆续进场"), (99, "设备安装调试")],
    INF: [(15, "征迁清表及施工准备"), (45, "基础工程施工"), (75, "主体工程施工"), (99, "附属工程施工及收尾")],
    LIV: [(15, "基础施工"), (45, "主体结构施工"), (70, "二次结构及机电安装"), (99, "装饰装修及室外配套施工")],
    OTH: [(30, "施工准备及前期处置"), (70, "主体工程施工"), (99, "配套设施建设及收尾")],
}
PROBLEMS_BEHIND = [
    "资金到位不及时，融资贷款尚在审批中",
    "受原材料价格上涨影响，部分设备采购推迟",
    "企业自筹资金不足，投资进度滞后于计划",
    "施工单位组织不力，现场施工人员不足",
]
PROBLEMS_MILESTONE = [
    "设计变更导致工期延误，正在调整施工组织",
    "受汛期降雨影响，部分工序停工",
    "相关审批手续办理中，需部门协调加快",
]
PROBLEMS_MINOR = ["用工较为紧张", "部分管线迁改需协调", "电力增容申请办理中", "临时用地手续办理中"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = ["伟", "芳", "敏", "静", "磊", "强", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "晓东",
         "建华", "志刚", "海涛", "文博", "春雷", "红梅", "丽娟", "国庆", "玉兰", "德胜", "晓燕", "立军", "新民", "雪梅"]
ROADS = ["鲁中路", "富民路", "新华路", "泰和路", "长安路", "振兴路", "文化路", "创业路", "科技大道", "园区大道",
         "朝阳路"]
MONTH_WEIGHTS = [0.5, 0.4, 0.9, 1.1, 1.2, 1.2, 1.0, 1.0, 1.2, 1.2, 1.1, 1.0]  # Spring Festival, rainy season

# scenario -> how many of the 80 projects; the light each aims at is in the comment
SCENARIOS: list[tuple[str, int]] = [
    ("planning", 5),  # green: starts next year
    ("preparing", 6),  # green: starts in the coming months
    ("start_due", 5),  # yellow: planned start this month or just passed
    ("start_late", 3),  # red: not started three months after the planned start
    ("building", 24),  # green
    ("building_slow", 9),  # yellow: investment 13-26 points behind
    ("milestone_late", 5),  # yellow: a milestone up to 30 days overdue
    ("building_stalled", 5),  # red: investment more than 30 points behind
    ("milestone_overdue", 4),  # red: a milestone more than 30 days overdue
    ("completed", 8),  # green
    ("producing", 6),  # green, industry only
]
STARTED = {"building", "building_slow", "building_stalled", "milestone_late", "milestone_overdue", "completed",
           "producing"}


class DemoError(core_demo.DemoError):
    """The demo cannot be loaded or removed without touching data that is not demo data."""


@dataclass
class DemoSummary:
    units: int = 0
    users: int = 0
    projects: int = 0
    plans: int = 0
    milestones: int = 0
    reports: int = 0
    lights: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class _Steps:
    names: tuple[str, ...]
    durations: tuple[int, ...]
    start: int  # the 开工 step
    done: int  # the 竣工 (验收) step


def _templates() -> dict[str, _Steps]:
    """The first template of each project type, as the steps reverse scheduling needs."""
    found: dict[str, _Steps] = {}
    for template in MilestoneTemplate.objects.prefetch_related("steps"):
        if template.project_type in found:
            continue
        pairs = template.step_pairs()
        if not pairs:
            continue
        names = tuple(name for name, _days in pairs)
        # An administrator may have renamed steps; fall back to the middle and the last.
        start = next((i for i, name in enumerate(names) if "开工" in name), len(names) // 2)
        done = max((i for i, name in enumerate(names) if "竣工" in name), default=len(names) - 1)
        found[template.project_type] = _Steps(names, tuple(days for _name, days in pairs), start, max(start, done))
    return found


def _reverse(names: Sequence[str], durations: Sequence[int], anchor: int, day: dt.date,
             calendar: WorkCalendar) -> list[dt.date]:
    """Reverse-schedule so that step ``anchor`` falls on ``day`` (rolled back to a working day).

    The target handed to :func:`rules.reverse_schedule` is the working day that many
    working days after ``day`` that the later steps need, so the result is exactly what
    applying the template with that target in the UI gives.
    """
    target = calendar.add_workdays(calendar.previous_or_same_workday(day), sum(durations[anchor + 1:]))
    return [day for _name, day in rules.reverse_schedule(list(zip(names, durations, strict=True)), target, calendar)]


def _category_name(project_type: str, industry: str) -> str:
    """The demo project's category ("" for none), by its 所属行业, else by its type."""
    return CATEGORY_BY_INDUSTRY.get((project_type, industry), CATEGORY_BY_TYPE[project_type])


def _funding_name(owner: str, *, special_bond: bool, started: bool) -> str:
    """Where the demo project's money comes from ("" for not known yet), by who builds it.

    Derived from the catalogue and the scenario, not drawn from the random generator, so the rest of the
    demo (figures, dates, lights) is what it was before the projects had funding sources.
    """
    if special_bond:
        return "专项债"
    if "公司" not in owner:
        return "政府投资"  # a bureau, a town, a hospital or a school
    if owner.startswith("示范区") and any(word in owner for word in STATE_OWNED_WORDS):
        return "国有企业投资"
    # A private investor's financing is often still open before the start, and the list leaves it blank.
    return "社会投资" if started else ""


def _categories_and_funding() -> tuple[dict[str, ProjectCategory], dict[str, FundingSource]]:
    """The seeded categories and funding sources by name, created where missing (never assumed: a test
    database flushed by a live-server test has none)."""
    categories = {
        name: ProjectCategory.objects.get_or_create(name=name, defaults={"livelihood": livelihood, "order": order})[0]
        for name, livelihood, order in CATEGORIES
    }
    funding = {
        name: FundingSource.objects.get_or_create(name=name, defaults={"order": order})[0]
        for name, order in FUNDING_SOURCES
    }
    return categories, funding


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _month_end(year: int, month: int) -> dt.date:
    return rules.add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)


def _wan(value: float, step: int = 1) -> Decimal:
    """万元 rounded to ``step``: plans and totals are whole numbers in the ledgers people keep."""
    return Decimal(max(step, round(value / step) * step))


def _split(total: Decimal, weights: Sequence[float]) -> list[Decimal]:
    """Split ``total`` into parts proportional to ``weights`` that add up to it exactly."""
    scale = sum(weights)
    parts = [(total * Decimal(str(w / scale))).quantize(CENT, rounding=ROUND_DOWN) for w in weights]
    parts[-1] += total - sum(parts, ZERO)
    return parts


def _actual_dates(planned: Sequence[dt.date], open_from: int | None, as_of: dt.date,
                  rng: random.Random) -> list[dt.date | None]:
    """Completion dates for passed milestones: mostly on time, some late; none from ``open_from`` on."""
    actual: list[dt.date | None] = []
    previous: dt.date | None = None
    for index, day in enumerate(planned):
        if day >= as_of or (open_from is not None and index >= open_from):
            actual.append(None)
            continue
        roll = rng.random()
        delta = rng.randint(-6, 0) if roll < 0.7 else rng.randint(1, 6) if roll < 0.9 else rng.randint(7, 25)
        done = min(day + dt.timedelta(days=delta), as_of - dt.timedelta(days=1))
        if previous is not None and done < previous:
            done = previous
        actual.append(done)
        previous = done
    return actual


def demo_usernames() -> list[str]:
    """Every user the demo creates: the logins, the leaders and one reporter per unit."""
    names = {username for username, _role, _label in DEMO_LOGINS}
    names.update(username for username, _name, _title in LEADERS)
    names.update(username for _unit, username in _unit_reporters())
    return sorted(names)


def _unit_reporters() -> list[tuple[str, str]]:
    """(unit key, username) for the per-unit reporters; the demo ``reporter`` covers its own town."""
    pairs: list[tuple[str, str]] = []
    taken: set[str] = set()
    keys = [short or name for name, short in DEPARTMENTS] + [name for name, *_rest in TOWNS]
    for key in keys:
        if key == REPORTER_UNIT:
            continue
        username = base = f"tb_{services.name_initials(key)}"
        suffix = 2
        while username in taken:
            username, suffix = f"{base}{suffix}", suffix + 1
        taken.add(username)
        pairs.append((key, username))
    return pairs


def demo_unit_names() -> list[str]:
    return [DISTRICT[0]] + [name for name, _short in DEPARTMENTS] + [name for name, *_rest in TOWNS]


def demo_check_reset() -> None:
    """Refuse a reset unless the database holds demo projects only."""
    if Project.objects.exclude(code__startswith=DEMO_CODE_PREFIX).exists():
        raise DemoError("数据库中有非演示项目，--reset 只用于演示数据库 / the database holds non-demo projects")


def demo_delete() -> int:
    """Remove the demo's projects (with their history), users and units; returns the projects removed.

    Refuses when the database holds projects that are not demo data, so a slip of the
    finger on a real ledger deletes nothing.
    """
    with transaction.atomic():
        demo_check_reset()
        projects = Project.objects.filter(code__startswith=DEMO_CODE_PREFIX)
        ids = [str(pk) for pk in projects.values_list("pk", flat=True)]
        AuditEntry.objects.filter(subject_model="projects.project", subject_id__in=ids).delete()
        count = len(ids)
        projects.delete()
        try:
            User.objects.filter(username__in=demo_usernames()).delete()
            Unit.objects.filter(name__in=demo_unit_names()).delete()
        except ProtectedError as error:
            raise DemoError(f"演示用户或单位仍被其他数据引用，未删除 / still referenced: {error}") from error
    return count


def _create_units() -> dict[str, Unit]:
    """The district, its departments and towns, keyed by the name people use (short name or name)."""
    existing = {unit.name: unit for unit in Unit.objects.filter(name__in=demo_unit_names())}
    wanted: list[Unit] = [Unit(name=DISTRICT[0], short_name=DISTRICT[1], kind=Unit.Kind.DISTRICT)]
    wanted += [
        Unit(name=name, short_name=short, kind=Unit.Kind.DEPARTMENT, order=order)
        for order, (name, short) in enumerate(DEPARTMENTS, start=1)
    ]
    wanted += [
        Unit(name=name, kind=Unit.Kind.TOWN, category=category, population=population, order=order)
        for order, (name, category, population, _north, _east) in enumerate(TOWNS, start=1)
    ]
    Unit.objects.bulk_create([unit for unit in wanted if unit.name not in existing])
    units = {unit.name: unit for unit in Unit.objects.filter(name__in=demo_unit_names())}
    keyed = {unit.short_name or unit.name: unit for unit in units.values()}
    keyed.update(units)
    return keyed


def _create_users(units: dict[str, Unit], rng: random.Random) -> dict[str, User]:
    taken = list(User.objects.filter(username__in=demo_usernames()).values_list("username", flat=True))
    if taken:
        raise DemoError(f"用户名已被占用 / usernames taken: {', '.join(taken)}（可用 --reset）")
    # One hash for every demo account: they share the printed password anyway, and
    # hashing it forty times would make `make run` wait for seconds.
    password = make_password(DEMO_PASSWORD)
    district = units[DISTRICT[1]]
    users = [
        User(username="admin", role=User.Role.ADMIN, full_name="系统管理员", title="区大数据中心",
             is_staff=True, is_superuser=True, unit=district),
        User(username="office", role=User.Role.OFFICE, full_name="赵明", title="区重点项目办公室主任",
             unit=units[OFFICE_UNIT]),
        User(username="reporter", role=User.Role.REPORTER, full_name="孙晓东", title="经济发展办公室科员",
             unit=units[REPORTER_UNIT]),
        User(username="viewer", role=User.Role.VIEWER, full_name="钱丽", title="区委督查室", unit=district),
    ]
    users += [
        User(username=username, role=User.Role.LEADER, full_name=name, title=title, unit=district)
        for username, name, title in LEADERS
    ]
    users += [
        User(username=username, role=User.Role.REPORTER, full_name=_person(rng), title="项目填报员", unit=units[key])
        for key, username in _unit_reporters()
    ]
    for user in users:
        user.password = password
    User.objects.bulk_create(users)
    return {user.username: user for user in User.objects.filter(username__in=demo_usernames())}


@dataclass
class _Plan:
    """What one demo project should look like; turned into rows by :func:`_project_rows`."""

    scenario: str
    stage: str
    construction: str
    anchor: int
    anchor_day: dt.date
    open_from: int | None = None
    durations: tuple[int, ...] = ()
    rate: float = 0.0  # % of this year's plan invested by the last reported month
    behind: float = 1.0  # how far physical progress lags the calendar


def _timeline(scenario: str, steps: _Steps, as_of: dt.date, calendar: WorkCalendar,
              rng: random.Random) -> _Plan:
    year = as_of.year
    day = dt.timedelta(days=1)
    after_start = sum(steps.durations[steps.start + 1 : steps.done + 1])
    green = rng.uniform(78, 112)
    if scenario == "planning":
        return _Plan(scenario, Stage.PLANNING, Construction.NEW, steps.start,
                     dt.date(year + 1, rng.randint(4, 9), rng.randint(1, 28)))
    if scenario == "preparing":
        return _Plan(scenario, Stage.PREPARING, Construction.NEW, steps.start,
                     as_of + rng.randint(45, 200) * day)
    if scenario == "start_due":
        start = _between(rng, as_of - 25 * day, _month_end(year, as_of.month))
        return _Plan(scenario, Stage.PREPARING, Construction.NEW, steps.start, start, open_from=steps.start)
    if scenario == "start_late":
        start = _between(rng, as_of - 210 * day, as_of - 100 * day)
        open_from = steps.start - 1 if steps.start > 0 and rng.random() < 0.5 else steps.start
        return _Plan(scenario, Stage.PREPARING, Construction.NEW, steps.start, start, open_from=open_from)
    if scenario in {"milestone_late", "milestone_overdue"}:
        late = rng.randint(4, 27) if scenario == "milestone_late" else rng.randint(38, 75)
        anchor = min(steps.start + 1, len(steps.names) - 1)
        rate = green if scenario == "milestone_late" or rng.random() < 0.5 else rng.uniform(57, 70)
        return _Plan(scenario, Stage.BUILDING, Construction.NEW, anchor, as_of - late * day,
                     open_from=anchor, rate=rate, behind=0.9)
    if scenario == "completed":
        tail = len(steps.names) - 1 - steps.done
        # A step after completion (投产, 交付使用) must still lie ahead.
        finish = as_of - rng.randint(8, 20) * day if tail else _between(rng, dt.date(year, 3, 1), as_of - 10 * day)
        return _Plan(scenario, Stage.COMPLETED, Construction.NEW, steps.done, finish, rate=rng.uniform(90, 100))
    if scenario == "producing":
        finish = _between(rng, dt.date(year, 5, 1), as_of - 15 * day)
        return _Plan(scenario, Stage.PRODUCING, Construction.NEW, len(steps.names) - 1, finish,
                     rate=rng.uniform(92, 100))
    rate = {"building": green, "building_slow": rng.uniform(57, 70), "building_stalled": rng.uniform(15, 45)}[scenario]
    behind = {"building": 1.0, "building_slow": 0.8, "building_stalled": 0.6}[scenario]
    if rng.random() < 0.5:
        # Started this year: the template's own durations, completion still ahead.
        earliest = calendar.add_workdays(as_of, -after_start) + 15 * day
        start = _between(rng, max(dt.date(year, 3, 10), earliest), as_of - 40 * day)
        return _Plan(scenario, Stage.BUILDING, Construction.NEW, steps.start, start, rate=rate, behind=behind)
    # Continuing (续建) from an earlier year: a big project takes longer than the standard
    # durations, so they are stretched in proportion, as the office does after applying
    # the template, and the completion step is anchored on the planned completion.
    start = _between(rng, dt.date(year - 2, 4, 1), dt.date(year - 1, 10, 31))
    finish = as_of + rng.randint(60, 700) * day
    factor = calendar.workdays_between(start, finish) / max(1, after_start)
    durations = tuple(round(days * factor) for days in steps.durations)
    return _Plan(scenario, Stage.BUILDING, Construction.CONTINUING, steps.done, finish, durations=durations,
                 rate=rate, behind=behind)


def _progress_text(project_type: str, percent: int, producing: bool, completed: bool) -> str:
    if producing:
        return "项目已投产，产能逐步释放"
    if completed:
        return "项目已竣工验收"
    phase = next(text for limit, text in PHASES[project_type] if percent <= limit)
    return f"{phase}，累计完成工程量约{percent}%"


def demo_load(*, seed: int = DEMO_SEED, as_of: dt.date | None = None, reset: bool = False) -> DemoSummary:
    """Load the demo district as of ``as_of`` (today by default) and refresh every light."""
    began = time.perf_counter()
    as_of = as_of or services.today()
    rng = random.Random(seed)
    with transaction.atomic():
        if reset:
            demo_delete()
        if Project.objects.filter(code__startswith=DEMO_CODE_PREFIX).exists():
            raise DemoError("演示数据已载入，可用 --reset 重新载入 / demo already loaded, use --reset")
        # An example of extending the holiday table beyond what chinesecalendar knows.
        Holiday.objects.get_or_create(
            date=dt.date(as_of.year + 1, 1, 1), defaults={"is_workday": False, "name": "元旦"}
        )
        units = _create_units()
        users = _create_users(units, rng)
        summary = _create_projects(units, users, as_of, rng)
    summary.units = len({unit.pk for unit in units.values()})
    summary.users = len(users)
    summary.lights = services.lights_refresh_all(as_of=as_of)
    summary.seconds = time.perf_counter() - began
    return summary


def _create_projects(units: dict[str, Unit], users: dict[str, User], as_of: dt.date,
                     rng: random.Random) -> DemoSummary:
    year = as_of.year
    calendar = services.work_calendar()
    templates = _templates()
    reporters = {user.unit_id: user for user in users.values() if user.role == User.Role.REPORTER}
    leaders = {username: users[username] for username, _name, _title in LEADERS}

    scenarios = [name for name, count in SCENARIOS for _ in range(count)]
    assert len(scenarios) == len(CATALOGUE)
    industry = [i for i, entry in enumerate(CATALOGUE) if entry[1] == IND]
    rng.shuffle(industry)
    producing = [name for name in scenarios if name == "producing"]
    assigned: dict[int, str] = dict(zip(industry[: len(producing)], producing, strict=True))
    rest = [name for name in scenarios if name != "producing"]
    rng.shuffle(rest)
    for index in (i for i in range(len(CATALOGUE)) if i not in assigned):
        assigned[index] = rest.pop()

    center_lat, center_lng = settings.DIAODU_MAP_CENTER
    towns = {name: (north, east) for name, _c, _p, north, east in TOWNS}
    categories, funding = _categories_and_funding()

    projects: list[Project] = []
    extras: list[dict[str, Any]] = []
    for index, (level, ptype, industry_name, name, lead, town, owner) in enumerate(CATALOGUE):
        scenario = assigned[index]
        steps = templates.get(ptype)
        name = name.format(year=year)
        total = {
            P: _wan(rng.uniform(200_000, 600_000), 100),
            C: _wan(rng.uniform(50_000, 200_000), 100),
            D: _wan(rng.uniform(5_000, 50_000), 10),
        }[level]
        plan = _timeline(scenario, steps, as_of, calendar, rng) if steps else None
        planned: list[dt.date] = []
        actual: list[dt.date | None] = []
        if steps and plan:
            planned = _reverse(steps.names, plan.durations or steps.durations, plan.anchor, plan.anchor_day, calendar)
            actual = _actual_dates(planned, plan.open_from, as_of, rng)
        stage = plan.stage if plan else Stage.BUILDING
        actual_start = actual[steps.start] if steps and scenario in STARTED else None
        if scenario in STARTED and actual_start is None:
            actual_start = as_of - dt.timedelta(days=90)  # no template for the type
        construction = plan.construction if plan else Construction.NEW
        if actual_start is not None and actual_start.year < year:
            construction = Construction.CONTINUING
        north, east = towns.get(town or "", (rng.uniform(-6, 6), rng.uniform(-6, 6)))
        north += rng.uniform(-2.2, 2.2)
        east += rng.uniform(-2.2, 2.2)
        road_a, road_b = rng.sample(ROADS, 2)
        place = town or "全区范围"
        values = {
            "land": rng.randint(30, 600), "floor": round(rng.uniform(0.8, 25), 1), "equip": rng.randint(40, 600),
            "revenue": round(float(total) / 10_000 * rng.uniform(0.8, 2.0), 1),
            "tax": round(float(total) / 10_000 * rng.uniform(0.08, 0.2), 2), "jobs": rng.randint(50, 1500),
            "km": round(rng.uniform(2, 35), 1), "width": rng.choice([24, 30, 40, 50, 60]), "pumps": rng.randint(1, 6),
            "road": round(rng.uniform(5, 40), 1), "beds": rng.choice([300, 500, 800, 1000]),
            "classes": rng.choice([24, 36, 48, 60]), "seats": rng.choice([1080, 1620, 2160, 2700]),
            "mw": rng.choice([60, 80, 120]), "sites": rng.randint(12, 260), "villages": rng.randint(20, 120),
            "estates": rng.randint(12, 40), "households": rng.randint(3000, 9000),
        }
        content = CONTENT.get(industry_name, CONTENT[ptype]).format(**values)
        # The 区长 takes the province-level projects and a few others; the deputies their fields.
        by_field = {IND: rng.choice(["leader_li", "leader_chen"]), INF: "leader_liu", LIV: "leader_zhang",
                    OTH: "leader_liu"}[ptype]
        leader = leaders["leader"] if level == P or rng.random() < 0.12 else leaders[by_field]
        lead_unit = units[lead]
        town_unit = units[town] if town else None
        if level == D and town_unit is not None and index % 3 == 0:
            # Towns lead some district-level projects themselves, and report them each month.
            lead_unit = town_unit
        # Drawn here, where the project's constructor drew it before, so the generator's sequence is unchanged.
        special_bond = ptype in {INF, LIV} and rng.random() < 0.4
        category = categories.get(_category_name(ptype, industry_name))
        source = funding.get(_funding_name(owner, special_bond=special_bond, started=scenario in STARTED))
        projects.append(
            Project(
                code=f"{DEMO_CODE_PREFIX}{year}-{index + 1:03d}",
                name=name,
                initials=services.name_initials(name),
                search_name=services.search_name(name),
                level=level,
                project_type=ptype,
                industry=industry_name,
                stage=stage,
                construction=construction,
                is_special_bond=special_bond,
                category=category,
                # As the list import sets it: a 民生实事 category makes the project one.
                livelihood=(category is not None and category.livelihood) or name in LIVELIHOOD_WORKS,
                funding_source=source,
                owner=owner,
                owner_contact=_person(rng),
                owner_phone=f"0536-8{rng.randint(100000, 999999)}",
                content=content,
                location=f"{place}{road_a}以{rng.choice('东西')}、{road_b}以{rng.choice('南北')}" if town else place,
                latitude=Decimal(str(round(center_lat + north / 111.0, 6))),
                longitude=Decimal(str(round(center_lng + east / 89.2, 6))),
                total_investment=total,
                planned_start=planned[steps.start] if steps and planned else None,
                planned_completion=planned[steps.done] if steps and planned else None,
                actual_start=actual_start,
                responsible_leader=leader,
                lead_unit=lead_unit,
                town=town_unit,
                service_officer=f"{_person(rng)}（{lead}）" if ptype == IND or rng.random() < 0.3 else "",
                remarks="省重点项目，纳入全省重大项目调度" if level == P else "",
            )
        )
        extras.append({"scenario": scenario, "plan": plan, "planned": planned, "actual": actual, "steps": steps,
                       "reporter": reporters.get(town_unit.pk if town_unit else None) or reporters.get(lead_unit.pk)})
    Project.objects.bulk_create(projects)

    summary = DemoSummary(projects=len(projects))
    plans: list[AnnualPlan] = []
    milestones: list[Milestone] = []
    reports: list[ProgressReport] = []
    for project, extra in zip(projects, extras, strict=True):
        rows = _project_rows(project, extra, as_of, rng)
        plans += rows[0]
        milestones += rows[1]
        reports += rows[2]
        # Years before this one were invested before the project entered the ledger.
        project.invested_before = rows[3]
    Project.objects.bulk_update(projects, ["invested_before"])
    AnnualPlan.objects.bulk_create(plans)
    Milestone.objects.bulk_create(milestones)
    ProgressReport.objects.bulk_create(reports)
    # Written around the services, so the ledger's year figures are built here, once.
    services.year_figures_rebuild(project_ids=[project.pk for project in projects])
    for project in projects:
        audit_record(by=None, instance=project, before={}, source="demo")
    summary.plans, summary.milestones, summary.reports = len(plans), len(milestones), len(reports)
    return summary


def _project_rows(
    project: Project, extra: dict[str, Any], as_of: dt.date, rng: random.Random
) -> tuple[list[AnnualPlan], list[Milestone], list[ProgressReport], Decimal]:
    """Plans, milestones and monthly reports of one demo project, and what it invested before this year."""
    year = as_of.year
    scenario: str = extra["scenario"]
    plan: _Plan | None = extra["plan"]
    steps: _Steps | None = extra["steps"]
    planned: list[dt.date] = extra["planned"]
    actual: list[dt.date | None] = extra["actual"]
    total = project.total_investment

    milestones = [
        Milestone(project=project, order=order, name=name, planned_date=day, actual_date=done,
                  note="受手续办理影响滞后完成" if done is not None and (done - day).days > 6 else "")
        for order, (name, day, done) in enumerate(zip(steps.names if steps else (), planned, actual, strict=False),
                                                  start=1)
    ]

    start = project.actual_start
    last_month = as_of.month - 1  # a month is reported in the next one
    first_month = 1 if start is None or start.year < year else start.month
    months = list(range(first_month, last_month + 1)) if start is not None else []
    finish_index = steps.done if steps else None
    finished = actual[finish_index] if finish_index is not None and actual else None
    before = ZERO
    if start is not None and start.year < year:
        share = rng.uniform(0.3, 0.6) if scenario in {"completed", "producing"} else rng.uniform(0.15, 0.45)
        before = _wan(float(total) * share, 10)
    left = total - before
    if scenario in {"completed", "producing"}:
        share = rng.uniform(0.9, 0.98) if before else rng.uniform(0.85, 0.95)
        this_year = left * Decimal(str(share))
    elif scenario in STARTED:
        share = rng.uniform(0.3, 0.5) * (13 - first_month) / 12
        this_year = left * Decimal(str(share))
    elif scenario == "start_late":
        this_year = total * Decimal(str(rng.uniform(0.15, 0.3)))
    else:
        this_year = ZERO
    rate = plan.rate if plan else 80.0
    # The year's reports may run up to 12% over plan, never over the total investment.
    this_year = min(this_year, left / Decimal("1.13"))
    plans: list[AnnualPlan] = []
    if this_year > 0:
        plans.append(AnnualPlan(project=project, year=year, amount=_wan(float(this_year))))
    ytd = (plans[0].amount * Decimal(str(rate / 100))).quantize(CENT) if plans and months else ZERO
    completion = project.planned_completion
    if scenario not in {"completed", "producing"} and (completion is None or completion.year > year):
        remaining = left - (plans[0].amount if plans else ZERO)
        plans.append(AnnualPlan(project=project, year=year + 1, amount=_wan(float(remaining) * rng.uniform(0.35, 0.7))))

    weights = [MONTH_WEIGHTS[m - 1] * rng.uniform(0.7, 1.3) for m in months]
    if finished is not None:
        weights = [w * (0.15 if m > finished.month and finished.year == year else 1) for w, m in zip(weights, months,
                                                                                                     strict=True)]
    amounts = _split(ytd, weights) if months and ytd > 0 else [ZERO for _m in months]

    reports: list[ProgressReport] = []
    percent = 0
    # Troubles of slow projects show in the last few months' reports, so the office has report
    # problems to supervise in each recent bulletin (dispatch.demo).
    problem_from = last_month - rng.randint(3, 5)
    behind = plan.behind if plan else 1.0
    end = finished if finished is not None else project.planned_completion
    for month, invested in zip(months, amounts, strict=True):
        month_end = _month_end(year, month)
        done = finished is not None and finished <= month_end
        if done:
            percent = 100
        elif start is not None and end is not None and end > start:
            share = (month_end - start).days / (end - start).days * behind
            percent = min(97, max(percent + 1, round(share * 100), 1))
        else:
            percent = min(97, percent + 8)
        producing = scenario == "producing" and bool(actual) and (actual[-1] or as_of) <= month_end
        problems = ""
        if month > problem_from and scenario in {"building_slow", "building_stalled"}:
            problems = rng.choice(PROBLEMS_BEHIND)
        elif month > problem_from and scenario in {"milestone_late", "milestone_overdue"}:
            problems = rng.choice(PROBLEMS_MILESTONE)
        elif month == last_month and finished is None and rng.random() < 0.2:
            problems = rng.choice(PROBLEMS_MINOR)
        reports.append(
            ProgressReport(
                project=project, year=year, month=month, invested=invested, progress_percent=percent,
                physical_progress=_progress_text(project.project_type, percent, producing, done),
                problems=problems, reported_by=extra["reporter"],
            )
        )
    return plans, milestones, reports, before


# --- the projects' part of the demo district (core.demo) --------------------------------------

def _part_load(*, seed: int, as_of: dt.date, reset: bool) -> list[str]:
    summary = demo_load(seed=seed, as_of=as_of, reset=reset)
    return [
        f"示范区演示数据 / demo district: {summary.units} units, {summary.users} users, "
        f"{summary.projects} projects, {summary.plans} annual plans, {summary.milestones} milestones, "
        f"{summary.reports} monthly reports ({summary.seconds:.1f} s)"
    ]


def _part_summary() -> list[str]:
    # The lights as stored at the end: later parts (the dispatch history) add the current month's rows.
    lights = Counter(Project.objects.values_list("light", flat=True))
    return [f"lights: red {lights.get('red', 0)}, yellow {lights.get('yellow', 0)}, green {lights.get('green', 0)}"]


DEMO_PART = core_demo.DemoPart(
    name="projects", order=10, load=_part_load, present=lambda: Project.objects.exists(),
    check_reset=demo_check_reset, summary=_part_summary,
)

