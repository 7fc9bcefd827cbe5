"""Demo data: a small hardware & stationery wholesaler (五金文具批发)."""
from __future__ import annotations

import random
from decimal import Decimal

from sqlalchemy import func, select

from backend.auth.permissions import ROLES
from backend.extensions import db
from backend.models.partners import Customer, Supplier
from backend.models.users import User
from backend.models.warehouses import Warehouse
from backend.services import crud
from backend.services.catalog import create_product
from backend.services.users import create_user

DEMO_PASSWORD = "demo1234"

PRODUCTS = [
    # (zh name, en name, category, model, spec, unit, purchase, sale)
    ("十字螺丝刀", "Phillips screwdriver", "工具", "PH2", "6x100mm", "把", "4.20", "8.90"),
    ("一字螺丝刀", "Flat screwdriver", "工具", "SL6", "6x100mm", "把", "4.00", "8.50"),
    ("活动扳手", "Adjustable wrench", "工具", "AW-8", "8寸", "把", "12.50", "24.00"),
    ("羊角锤", "Claw hammer", "工具", "CH-16", "16oz", "把", "15.00", "29.90"),
    ("卷尺", "Tape measure", "工具", "TM-5", "5m", "个", "6.80", "14.00"),
    ("美工刀", "Utility knife", "工具", "UK-18", "18mm", "把", "2.10", "5.00"),
    ("电钻", "Cordless drill", "电动工具", "CD-12V", "12V 锂电", "台", "158.00", "299.00"),
    ("角磨机", "Angle grinder", "电动工具", "AG-100", "100mm 850W", "台", "135.00", "249.00"),
    ("电锤", "Rotary hammer", "电动工具", "RH-26", "26mm 800W", "台", "260.00", "459.00"),
    ("钻头套装", "Drill bit set", "配件", "DB-13", "13件 HSS", "套", "18.00", "39.00"),
    ("切割片", "Cutting disc", "配件", "CD-105", "105x1.2mm", "片", "0.90", "2.50"),
    ("砂纸", "Sandpaper", "配件", "SP-240", "240目", "张", "0.35", "1.00"),
    ("自攻螺丝", "Self-tapping screws", "紧固件", "ST4.2", "4.2x25 (100只)", "盒", "5.50", "12.00"),
    ("膨胀螺栓", "Expansion bolt", "紧固件", "EB-M8", "M8x80", "个", "0.45", "1.20"),
    ("六角螺母", "Hex nut", "紧固件", "HN-M8", "M8 (100只)", "盒", "6.00", "13.50"),
    ("平垫片", "Flat washer", "紧固件", "FW-M8", "M8 (200只)", "盒", "4.80", "10.00"),
    ("电工胶布", "Electrical tape", "电工", "ET-18", "18mm x 10m", "卷", "1.20", "3.00"),
    ("插线板", "Power strip", "电工", "PS-6", "6位 3m", "个", "19.00", "39.00"),
    ("电线", "Copper wire", "电工", "BV-2.5", "2.5mm² 100m", "卷", "168.00", "248.00"),
    ("开关面板", "Wall switch", "电工", "WS-86", "86型 单开", "个", "4.50", "9.90"),
    ("LED灯泡", "LED bulb", "照明", "LB-9W", "9W E27", "个", "3.80", "8.80"),
    ("LED灯管", "LED tube", "照明", "LT-18W", "T8 1.2m", "支", "9.50", "19.90"),
    ("手电筒", "Flashlight", "照明", "FL-3", "3W 充电", "个", "11.00", "25.00"),
    ("劳保手套", "Work gloves", "劳保", "WG-10", "均码 (12双)", "打", "14.00", "28.00"),
    ("安全帽", "Safety helmet", "劳保", "SH-ABS", "ABS 黄色", "顶", "12.00", "25.00"),
    ("护目镜", "Safety goggles", "劳保", "SG-1", "防冲击", "副", "5.00", "12.00"),
    ("反光背心", "Reflective vest", "劳保", "RV-XL", "XL", "件", "6.50", "15.00"),
    ("A4复印纸", "A4 copy paper", "文具", "A4-70", "70g 500张", "包", "16.50", "25.00"),
    ("中性笔", "Gel pen", "文具", "GP-05", "0.5mm 黑 (12支)", "盒", "6.00", "12.00"),
    ("笔记本", "Notebook", "文具", "NB-A5", "A5 80页", "本", "2.20", "5.00"),
    ("订书机", "Stapler", "文具", "ST-12", "12号", "个", "7.50", "15.00"),
    ("订书钉", "Staples", "文具", "SP-24/6", "24/6 (1000枚)", "盒", "0.80", "2.00"),
    ("文件夹", "File folder", "文具", "FF-A4", "A4 蓝色", "个", "1.60", "3.50"),
    ("白板笔", "Whiteboard marker", "文具", "WM-10", "黑色 (10支)", "盒", "8.00", "16.00"),
    ("计算器", "Calculator", "办公设备", "CA-12", "12位", "个", "18.00", "35.00"),
    ("标签打印纸", "Thermal labels", "办公设备", "TL-5030", "50x30mm 800张", "卷", "6.50", "13.00"),
    ("打包胶带", "Packing tape", "包装", "PT-48", "48mm x 100m", "卷", "3.20", "6.50"),
    ("纸箱", "Carton box", "包装", "CB-3", "3号 五层", "个", "2.40", "4.50"),
    ("气泡膜", "Bubble wrap", "包装", "BW-50", "50cm x 50m", "卷", "22.00", "39.00"),
    ("扎带", "Cable ties", "包装", "CT-200", "4x200mm (100根)", "包", "3.00", "6.00"),
    ("硅胶", "Silicone sealant", "建材", "SS-300", "300ml 透明", "支", "6.80", "14.00"),
    ("发泡胶", "Expanding foam", "建材", "EF-750", "750ml", "罐", "12.00", "24.00"),
    ("防水胶带", "Waterproof tape", "建材", "WT-10", "10cm x 5m", "卷", "9.00", "19.00"),
    ("水平尺", "Spirit level", "工具", "SL-60", "60cm", "把", "13.00", "26.00"),
    ("钢丝钳", "Combination pliers", "工具", "CP-8", "8寸", "把", "9.50", "19.00"),
    ("尖嘴钳", "Long-nose pliers", "工具", "LP-6", "6寸", "把", "7.80", "16.00"),
    ("内六角扳手", "Hex key set", "工具", "HK-9", "9件 公制", "套", "8.50", "18.00"),
    ("梯子", "Step ladder", "工具", "LD-5", "5步 铝合金", "架", "120.00", "219.00"),
    ("手推车", "Hand truck", "搬运", "HT-150", "150kg", "台", "95.00", "179.00"),
    ("货架", "Shelving unit", "仓储", "SR-4", "4层 1.5m", "组", "210.00", "360.00"),
]

WAREHOUSES = [("MAIN", "总仓 Main warehouse", "上海市闵行区莘庄工业区 88 号"),
              ("NORTH", "北区仓 North depot", "北京市大兴区亦庄 12 号"),
              ("SHOP", "门店 Shop front", "上海市徐汇区漕溪北路 201 号")]

SUPPLIERS = [("SUP-001", "宁波精工工具有限公司", "王经理", "0574-8888 1234"),
             ("SUP-002", "永康电动工具厂", "陈先生", "0579-8711 2233"),
             ("SUP-003", "Shanghai Fastener Co.", "Lisa Zhang", "021-6455 7788"),
             ("SUP-004", "得力文具 Deli Stationery", "刘女士", "0574-8765 4321"),
             ("SUP-005", "公牛电工 Bull Electric", "赵经理", "0574-6321 0000")]

CUSTOMERS = [("CUS-001", "上海宏达装饰工程有限公司", "李工", "138 0013 8000"),
             ("CUS-002", "北京万家物业管理有限公司", "孙主管", "139 1122 3344"),
             ("CUS-003", "Green Leaf Office Supplies", "Tom Li", "021-5566 7788"),
             ("CUS-004", "杭州鑫源建材商行", "周老板", "137 5566 7788"),
             ("CUS-005", "苏州工业园区某某科技", "吴采购", "186 1234 5678"),
             ("CUS-006", "散客 Walk-in customer", None, None)]


def seed_demo(only_if_empty: bool = False) -> bool:
    """Load demo data; returns False when skipped because users exist."""
    if only_if_empty and db.session.scalar(select(func.count()).select_from(User)):
        return False
    rnd = random.Random(42)
    whs = [crud.create(Warehouse, {"code": c, "name": n, "address": a}) for c, n, a in WAREHOUSES]
    from backend.services.warehouses import create_location

    for wh in whs[:2]:
        for aisle in "AB":
            for bay in range(1, 4):
                create_location(wh.id, {"code": f"{aisle}-{bay:02d}", "name": f"{aisle} 区 {bay} 号货架"}, None)
    sups = [crud.create(Supplier, {"code": c, "name": n, "contact": p, "phone": t}) for c, n, p, t in SUPPLIERS]
    for c, n, p, t in CUSTOMERS:
        crud.create(Customer, {"code": c, "name": n, "contact": p, "phone": t, "credit_limit": Decimal(50000)})
    products = []
    for i, (zh, en, cat, model, spec, unit, buy, sell) in enumerate(PRODUCTS, start=1):
        products.append(create_product({
            "sku": f"P{i:04d}", "name": zh, "name_en": en, "category": cat, "model": model, "spec": spec,
            "unit": unit, "purchase_price": Decimal(buy), "sale_price": Decimal(sell),
            "reorder_point": Decimal(rnd.choice([5, 10, 20, 50])), "reorder_qty": Decimal(rnd.choice([20, 50, 100]))}))
    # supplier barcodes and a pack (carton) barcode for a few products
    from backend.domain.barcodes import gtin_check_digit
    from backend.services.catalog import add_barcode

    for p in products[:10]:
        body = f"69{rnd.randrange(10**10):010d}"
        add_barcode(p.id, {"code": body + gtin_check_digit(body), "symbology": "ean13", "kind": "manufacturer",
                           "supplier_id": sups[0].id})
    for p in products[12:16]:
        add_barcode(p.id, {"code": f"CTN-{p.sku}", "symbology": "code128", "quantity": Decimal(20), "kind": "pack"})
    _opening_stock(products, whs, rnd)
    for role in ROLES:
        create_user(role, DEMO_PASSWORD, [role], display_name=_ROLE_NAMES[role],
                    warehouse_ids=[whs[0].id, whs[2].id] if role == "warehouse" else None)
    return True


def _opening_stock(products, whs, rnd) -> None:
    from backend.services.ledger import MoveSpec, post

    moves = []
    for p in products:
        for wh in whs:
            if rnd.random() < 0.7:
                moves.append(MoveSpec(p.id, wh.id, Decimal(rnd.choice([0, 3, 8, 15, 40, 120])), "opening",
                                      unit_cost=p.purchase_price, note="opening balance 期初"))
    post(moves)


_ROLE_NAMES = {"admin": "系统管理员", "manager": "张经理", "purchaser": "采购小王", "warehouse": "仓管老李",
               "sales": "销售小陈", "finance": "财务刘姐"}
