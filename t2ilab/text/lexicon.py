"""The words t2ilab understands, as plain data that lessons can print.

SYNONYMS[dataset][attribute][value] lists the phrases (English and Chinese) that mean `value`.
A phrase may be several words ("up top", "ankle boot"); Chinese has no spaces, so Chinese
phrases are found in a prompt by longest match (大草原 is grassland before 大 is big).
NEUTRAL words belong to a dataset but fix no attribute ("sky" in scenes); STOP_WORDS are
ignored everywhere ("a", "please", 我想要).
"""
from __future__ import annotations

from ..schema import SCHEMAS, SECOND

SYNONYMS: dict[str, dict[str, dict[str, list[str]]]] = {
    "shapes": {
        "shape": {
            "circle": ["circle", "ball", "disc", "disk", "round", "circular", "dot", "sphere", "orb",
                       "圆", "圆形", "圆圈", "圆球", "圆盘", "球", "球体"],
            "square": ["square", "box", "block", "cube", "tile", "squared",
                       "正方形", "方形", "正方", "方块", "方框", "方"],
            "triangle": ["triangle", "triangular", "wedge", "三角形", "三角"],
            "diamond": ["diamond", "rhombus", "rhomb", "lozenge", "菱形", "钻石", "菱"],
        },
        "color": {
            "red": ["red", "crimson", "scarlet", "ruby", "cherry", "maroon", "红色", "红", "赤色", "赤"],
            "orange": ["orange", "amber", "tangerine", "橙色", "橙", "橘色", "橘黄色", "橘红色"],
            "yellow": ["yellow", "gold", "golden", "lemon", "黄色", "黄", "金色", "金黄色"],
            "green": ["green", "emerald", "lime", "olive", "绿色", "绿", "翠绿"],
            "blue": ["blue", "navy", "azure", "cobalt", "sky blue", "蓝色", "蓝", "天蓝色", "深蓝色"],
            "purple": ["purple", "violet", "lilac", "lavender", "magenta", "紫色", "紫", "紫罗兰色"],
        },
        "size": {
            "small": ["small", "tiny", "little", "mini", "smaller", "wee", "miniature",
                      "小", "小小", "微小", "很小", "小小的"],
            "big": ["big", "large", "huge", "giant", "bigger", "larger", "enormous", "massive",
                    "大", "巨大", "很大", "大大"],
        },
        "position": {
            "left": ["left", "on the left", "to the left", "left side", "leftmost",
                     "左边", "左侧", "左面", "左方", "左"],
            "right": ["right", "on the right", "to the right", "right side", "rightmost",
                      "右边", "右侧", "右面", "右方", "右"],
            "top": ["top", "up top", "at the top", "on top", "above", "upper", "top side",
                    "上面", "上方", "上边", "顶部", "顶端", "顶上", "上部"],
            "bottom": ["bottom", "at the bottom", "on the bottom", "below", "beneath", "lower",
                       "down low", "down below", "下面", "下方", "下边", "底部", "底端", "下部"],
            "center": ["center", "centre", "middle", "central", "centered", "centred",
                       "in the middle", "in the center", "in the centre",
                       "中间", "中央", "中心", "正中", "正中间"],
            # a corner is also said as two positions, "at the top on the left" (t2ilab.text.corners)
            "top left": ["top left", "upper left", "top left corner", "upper left corner", "top-left",
                         "左上", "左上角", "左上方", "左上边"],
            "top right": ["top right", "upper right", "top right corner", "upper right corner", "top-right",
                          "右上", "右上角", "右上方", "右上边"],
            "bottom left": ["bottom left", "lower left", "bottom left corner", "lower left corner", "bottom-left",
                            "左下", "左下角", "左下方", "左下边"],
            "bottom right": ["bottom right", "lower right", "bottom right corner", "lower right corner",
                             "bottom-right", "右下", "右下角", "右下方", "右下边"],
        },
    },
    "scenes": {
        "sky": {
            "blue": ["blue", "blue sky", "clear sky", "clear blue sky", "day", "daytime", "sunny", "sunny day",
                     "蓝天", "蓝色", "蓝", "晴天", "白天", "蓝色天空"],
            "sunset": ["sunset", "dusk", "evening", "twilight", "sundown", "setting sun",
                       "orange sky", "sunset sky",
                       "日落", "夕阳", "黄昏", "傍晚", "晚霞", "落日"],
            "night": ["night", "nighttime", "night sky", "starry", "starry sky", "stars", "dark sky",
                      "midnight", "moon", "moonlit", "at night",
                      "夜晚", "夜空", "晚上", "黑夜", "夜", "星空", "月亮", "深夜"],
        },
        "ground": {
            "grass": ["grass", "grassy", "grassland", "meadow", "grassy field", "prairie", "lawn",
                      "pasture", "savanna", "savannah", "green grass", "green field", "green meadow",
                      "草原", "大草原", "草地", "草坪", "草", "牧场"],
            "sand": ["sand", "sandy", "beach", "desert", "dune", "dunes", "sand dunes", "sandy plain", "golden sand", "yellow sand",
                     "沙滩", "沙漠", "沙地", "沙子", "沙", "海滩"],
            "snow": ["snow", "snowy", "snowfield", "snow field", "snow-covered", "snow covered", "snowy field", "white snow", "snowland",
                     "雪地", "雪", "雪原", "积雪"],
        },
        "object": {
            "tree": ["tree", "oak", "pine", "palm tree", "pine tree", "oak tree",
                     "树", "大树", "树木", "小树"],
            "house": ["house", "home", "cabin", "hut", "cottage", "building", "barn",
                      "房子", "房屋", "小屋", "屋子", "小房子", "房"],
            "sun": ["sun", "太阳"],
        },
        "position": {
            "left": ["left", "on the left", "to the left", "left side", "leftmost",
                     "左边", "左侧", "左面", "左方", "左"],
            "middle": ["middle", "center", "centre", "central", "centered", "centred",
                       "in the middle", "in the center", "in the centre",
                       "中间", "中央", "中心", "正中", "正中间"],
            "right": ["right", "on the right", "to the right", "right side", "rightmost",
                      "右边", "右侧", "右面", "右方", "右"],
        },
        # a second object is said with the words above ("a house on the left and a tree on the
        # right"): t2ilab.text.objects places it, no word of its own names it
        "object2": {},
        "position2": {},
    },
    "fashion": {
        "item": {
            "t-shirt": ["t-shirt", "tshirt", "tee", "tee shirt", "top", "t恤", "体恤", "短袖"],
            "trouser": ["trouser", "trousers", "pants", "jeans", "slacks",
                        "裤子", "长裤", "牛仔裤", "裤"],
            "pullover": ["pullover", "sweater", "jumper", "sweatshirt", "hoodie",
                         "套头衫", "毛衣", "卫衣"],
            "dress": ["dress", "gown", "frock", "连衣裙", "裙子", "长裙", "裙"],
            "coat": ["coat", "jacket", "overcoat", "parka", "外套", "大衣", "夹克"],
            "sandal": ["sandal", "flip flop", "凉鞋", "拖鞋"],
            "shirt": ["shirt", "blouse", "button up shirt", "衬衫", "衬衣"],
            "sneaker": ["sneaker", "trainer", "running shoe", "tennis shoe", "运动鞋", "球鞋", "跑鞋"],
            "bag": ["bag", "handbag", "purse", "backpack", "tote", "手提包", "包包", "背包", "手袋", "包"],
            "ankle boot": ["ankle boot", "boot", "bootie", "靴子", "短靴", "踝靴", "靴"],
        },
    },
}

# Words that belong to a dataset's prompts but fix no attribute: the generator samples freely.
NEUTRAL: dict[str, list[str]] = {
    "shapes": ["shape", "form", "figure", "object", "colored", "coloured", "color", "colour",
               "sized", "size", "position", "corner", "图形", "形状", "颜色", "东西"],
    # scenes draw every object at one size, and have no vertical position: these words are fine
    "scenes": ["sky", "ground", "land", "scene", "scenery", "landscape", "view", "background",
               "object", "field", "plain", "big", "large", "small", "little", "tiny", "huge", "tall", "above", "below",
               "beneath", "天空", "天", "地面", "风景", "景色", "背景", "大", "小", "高",
               "上面", "上方", "下面", "下方"],
    "fashion": ["clothing", "clothes", "garment", "item", "piece", "pair", "outfit", "wear",
                "衣服", "服装", "衣物", "一双", "双", "一件", "件", "一条", "条"],
}

# Ignored in every dataset. English, then Chinese (matched by longest match like the rest).
STOP_WORDS: list[str] = [
    "a", "an", "the", "i", "i'd", "i'm", "me", "my", "we", "you", "want", "wanted", "would",
    "like", "love", "need", "with", "of", "on", "in", "under", "at", "to", "by", "and", "is",
    "are", "be", "there", "there's", "it", "its", "it's", "that", "which", "has", "have", "having",
    "some", "one", "please", "draw", "paint", "picture", "image", "photo", "make", "show",
    "generate", "create", "render", "give", "let's", "sitting", "standing", "placed", "located",
    "side", "very", "really", "near", "over", "covered", "just", "thing", "something", "kind", "sort", "stands",
    "我", "我想", "想", "想要", "我想要", "要", "我要", "请", "画", "帮我", "给我", "生成",
    "一个", "一棵", "一只", "一座", "一间", "一张", "一幅", "一", "个", "棵", "只", "座", "间",
    "张", "幅", "的", "地", "得", "有", "在", "和", "与", "是", "里", "中", "上", "下", "着", "了",
    "图", "图片", "图像", "照片", "画面", "吧", "呢", "啊", "一下", "时", "时候", "的时候",
]

# Counts: an image shows one thing, so "two circles" is an error that points to n= / -n instead.
COUNT_WORDS: list[str] = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                          "several", "many", "multiple", "few", "两", "两个", "三个", "几个", "多个",
                          "许多", "很多", "一些"]

# Small numbers in words, for messages ("the prompt names three objects").
NUMBER_WORDS: list[str] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def number_word(n: int) -> str:
    """3 -> "three"; 10 and more as digits."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


# Plural of each attribute name, for messages ("the prompt asks for two colors").
ATTRIBUTE_PLURALS: dict[str, str] = {
    "shape": "shapes", "color": "colors", "size": "sizes", "position": "positions",
    "sky": "skies", "ground": "grounds", "object": "objects", "item": "items",
    "object2": "second objects", "position2": "second positions",
}


def phrases(dataset: str) -> dict[str, tuple[str, str]]:
    """Every attribute phrase of a dataset -> (attribute, canonical value); values name themselves."""
    table: dict[str, tuple[str, str]] = {}
    for attr, values in SCHEMAS[dataset].items():
        if attr in SECOND.get(dataset, ()):  # scenes' object2, position2: the parser fills them
            continue
        for value in values:
            for phrase in [value, *SYNONYMS[dataset][attr].get(value, [])]:
                table[phrase] = (attr, value)
    return table
