/* keyproj-gen: writes the synthetic demo data set (projects, milestones,
 * monthly reports and plans as CSV) from a seed. It must never emit a real
 * project, person or phone number, and never read the clock or any other
 * entropy: the same arguments give the same bytes. */
#include "ac_config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_SIZE 999999   /* the 6-digit serial of the project code */
#define MAX_NODES 24
#define FLUSH_AT (1 << 16)

/* ---- randomness ------------------------------------------------------ */

/* xoshiro256** seeded by splitmix64, so the output never depends on the C
 * library's rand(). Each project draws from its own stream: project i is the
 * same whatever --size says. */
struct rng {
    uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed;
    x = splitmix64(&x) ^ (stream * 0xD1B54A32D192ED03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static double
rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static int
rng_int(struct rng *r, int lo, int hi)   /* inclusive */
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static bool
rng_chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

static int
rng_pick(struct rng *r, const int *w, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    int x = rng_int(r, 0, total - 1);
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

/* Irwin–Hall: close enough to normal for money, and needs no libm (the
 * program links none) so every platform draws the same numbers. */
static double
rng_normal(struct rng *r)
{
    double s = 0;
    for (int i = 0; i < 12; i++)
        s += rng_unit(r);
    return s - 6.0;
}

/* C leaves the order of a call's arguments open (gcc and clang differ), so
 * no call may take two draws as arguments: draw into variables first. */
#define PICK(r, a) ((a)[rng_int((r), 0, (int)ARRAY_LEN(a) - 1)])

/* exp() by range reduction and a series, for the same reason as above. */
static double
xexp(double x)
{
    const double ln2 = 0.69314718055994530942;
    int k = (int)(x / ln2 + (x < 0 ? -0.5 : 0.5));
    double rem = x - k * ln2, term = 1, sum = 1;
    for (int i = 1; i < 18; i++) {
        term *= rem / i;
        sum += term;
    }
    for (; k > 0; k--)
        sum *= 2;
    for (; k < 0; k++)
        sum /= 2;
    return sum;
}

/* ---- dates: days since 1970-01-01, proleptic Gregorian --------------- */

static long
day_of(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void
ymd_of(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
month_days(int y, int m)
{
    static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : n[m - 1];
}

static int
year_of(long day)
{
    int y, m, d;
    ymd_of(day, &y, &m, &d);
    return y;
}

static int
month_of(long day)
{
    int y, m, d;
    ymd_of(day, &y, &m, &d);
    return m;
}

static long
add_months(long day, int months)
{
    int y, m, d;
    ymd_of(day, &y, &m, &d);
    int k = y * 12 + (m - 1) + months;
    y = k / 12;
    m = k % 12 + 1;
    return day_of(y, m, d > month_days(y, m) ? month_days(y, m) : d);
}

/* ---- CSV output, buffered: rows are streamed, memory stays flat ------- */

struct out {
    FILE *f;
    char *path, *tmp;
    struct buf b;
    bool failed;
};

static bool
out_open(struct out *o, const char *dir, const char *name)
{
    o->path = xasprintf("%s/%s", dir, name);
    o->tmp = xasprintf("%s/.%s.tmp", dir, name);
    buf_init(&o->b);
    o->failed = false;
    o->f = fopen(o->tmp, "w");
    if (o->f == NULL)
        fprintf(stderr, "keyproj-gen: cannot create %s: %s\n", o->tmp, strerror(errno));
    return o->f != NULL;
}

static void
out_flush(struct out *o)
{
    if (o->b.len > 0 && fwrite(o->b.data, 1, o->b.len, o->f) != o->b.len)
        o->failed = true;
    buf_reset(&o->b);
}

static void
out_put(struct out *o, const char *s)
{
    buf_puts(&o->b, s);
}

/* RFC 4180: quote only the fields that need it, as spreadsheets do. */
static void
out_field(struct out *o, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        buf_puts(&o->b, s);
        return;
    }
    buf_putc(&o->b, '"');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(&o->b, '"');
        buf_putc(&o->b, *s);
    }
    buf_putc(&o->b, '"');
}

static void
out_long(struct out *o, long v, int width)
{
    char tmp[24];
    int n = 0;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0 || n < width);
    if (v < 0)
        buf_putc(&o->b, '-');
    while (n > 0)
        buf_putc(&o->b, tmp[--n]);
}

/* Money is kept in hundredths of 万元; written without trailing zeros. */
static void
out_money(struct out *o, int64_t cents)
{
    out_long(o, (long)(cents / 100), 1);
    int frac = (int)(cents % 100);
    if (frac == 0)
        return;
    buf_putc(&o->b, '.');
    buf_putc(&o->b, (char)('0' + frac / 10));
    if (frac % 10)
        buf_putc(&o->b, (char)('0' + frac % 10));
}

enum datefmt { DF_ISO, DF_SLASH, DF_CJK };

static void
out_date(struct out *o, long day, enum datefmt fmt)
{
    int y, m, d;
    ymd_of(day, &y, &m, &d);
    out_long(o, y, 4);
    out_put(o, fmt == DF_ISO ? "-" : fmt == DF_SLASH ? "/" : "年");
    out_long(o, m, fmt == DF_ISO ? 2 : 1);
    out_put(o, fmt == DF_ISO ? "-" : fmt == DF_SLASH ? "/" : "月");
    out_long(o, d, fmt == DF_ISO ? 2 : 1);
    if (fmt == DF_CJK)
        out_put(o, "日");
}

static void
out_month(struct out *o, int y, int m)
{
    out_long(o, y, 4);
    buf_putc(&o->b, '-');
    out_long(o, m, 2);
}

static void
out_end(struct out *o)
{
    buf_putc(&o->b, '\n');
    if (o->b.len >= FLUSH_AT)
        out_flush(o);
}

/* Writes the rest and renames the temporary file into place, so a failed
 * run never leaves a half-written file under the real name. */
static bool
out_close(struct out *o, bool keep)
{
    bool ok = o->f != NULL;
    if (ok) {
        out_flush(o);
        ok = !o->failed && !ferror(o->f);
        ok = fclose(o->f) == 0 && ok;
        if (!ok)
            fprintf(stderr, "keyproj-gen: cannot write %s\n", o->tmp);
        if (ok && keep && rename(o->tmp, o->path) != 0) {
            fprintf(stderr, "keyproj-gen: cannot rename %s: %s\n", o->tmp, strerror(errno));
            ok = false;
        }
        if (!ok || !keep)
            remove(o->tmp);
    }
    buf_free(&o->b);
    free(o->path);
    free(o->tmp);
    return ok;
}

/* ---- vocabulary: names and places that look like a real ledger --------- */

enum sector { SEC_IND, SEC_URB, SEC_INF, SEC_LIV, SEC_ECO, SEC_N };
static const char *const sector_zh[SEC_N] = { "产业", "城建", "基础设施", "民生", "生态" };
static const int sector_weight[SEC_N] = { 50, 16, 17, 15, 2 };

enum category { CAT_NEW, CAT_CONT, CAT_PREP, CAT_N };
static const char *const category_zh[CAT_N] = { "新开工", "续建", "前期" };
static const int category_weight[CAT_N] = { 52, 42, 6 };

/* Region codes are Luoyang's; the three zones have none of their own, so
 * they get placeholders in 41037x. */
struct county {
    const char *name, *shortname, *unit;
    int region, weight;
    bool towns, mountain;   /* has 镇 (else only 街道); room for pumped storage */
};
static const struct county counties[] = {
    { "西工区", "西工", "西工区政府", 410303, 5, false, false },
    { "老城区", "老城", "老城区政府", 410302, 4, false, false },
    { "瀍河回族区", "瀍河", "瀍河回族区政府", 410304, 3, false, false },
    { "涧西区", "涧西", "涧西区政府", 410305, 7, false, false },
    { "洛龙区", "洛龙", "洛龙区政府", 410311, 10, false, false },
    { "偃师区", "偃师", "偃师区政府", 410307, 8, true, false },
    { "孟津区", "孟津", "孟津区政府", 410308, 8, true, false },
    { "新安县", "新安", "新安县政府", 410323, 7, true, true },
    { "宜阳县", "宜阳", "宜阳县政府", 410327, 7, true, true },
    { "洛宁县", "洛宁", "洛宁县政府", 410328, 5, true, true },
    { "伊川县", "伊川", "伊川县政府", 410329, 8, true, false },
    { "嵩县", "嵩县", "嵩县政府", 410325, 5, true, true },
    { "栾川县", "栾川", "栾川县政府", 410324, 6, true, true },
    { "汝阳县", "汝阳", "汝阳县政府", 410326, 5, true, true },
    { "高新区", "高新", "高新区管委会", 410371, 5, false, false },
    { "伊滨区", "伊滨", "伊滨区管委会", 410372, 4, false, false },
    { "经开区", "经开", "经开区管委会", 410373, 3, false, false },
};
#define N_COUNTIES ((int)ARRAY_LEN(counties))

/* Synthetic leaders; mobiles in 1380000xxxx, a range nobody is given. */
struct leader {
    const char *name, *title, *mobile;
};
static const struct leader leaders[] = {
    { "程立峰", "市委常委、常务副市长", "13800001001" },
    { "蒋海燕", "市委常委、副市长", "13800001054" },
    { "姚建平", "市委常委、秘书长", "13800001107" },
    { "魏春生", "市委常委、统战部部长", "13800001160" },
    { "冯晓岚", "副市长", "13800001213" },
    { "邓国强", "副市长", "13800001266" },
    { "曹玉琴", "副市长", "13800001319" },
    { "彭志明", "副市长", "13800001372" },
    { "田宏伟", "副市长", "13800001425" },
    { "袁丽华", "市人大常委会副主任", "13800001478" },
    { "于振东", "市人大常委会副主任", "13800001531" },
    { "董卫红", "市人大常委会副主任", "13800001584" },
    { "萧明远", "市人大常委会副主任", "13800001637" },
    { "潘永刚", "市人大常委会副主任", "13800001690" },
    { "杜晓梅", "市政协副主席", "13800001743" },
    { "戴新民", "市政协副主席", "13800001796" },
    { "夏秋平", "市政协副主席", "13800001849" },
    { "钟建军", "市政协副主席", "13800001902" },
    { "汪小燕", "市政协副主席", "13800001955" },
    { "范德胜", "市政府秘书长", "13800002008" },
};
#define N_LEADERS ((int)ARRAY_LEN(leaders))
#define N_TOP_LEADERS 4   /* 市委常委: they hold the provincial projects */

enum kind { K_START, K_STRUCTURE, K_TOPPING, K_COMPLETION, K_OPERATION,
            K_INVESTMENT, K_APPROVAL, K_OTHER };
static const char *const kind_names[] = { "start", "structure", "topping",
    "completion", "operation", "investment", "approval", "other" };

enum node_id { N_LAND, N_PERMIT, N_START, N_TOPPING, N_EQUIP, N_TRIAL,
    N_PRODUCE, N_DEMOL, N_SUBGRADE, N_PIPE, N_ASPHALT, N_OPEN, N_FOUND,
    N_STRUCT, N_DECOR, N_ACCEPT, N_INUSE, N_DREDGE, N_GREEN, N_FILING,
    N_LANDPRE, N_EIA, N_PLANPERMIT, N_DRAWING, N_ENERGY, N_DELIVERY,
    N_UTILITY, N_LIGHTING, N_MEP, N_OUTDOOR, N_FACADE, N_COMMISSION,
    N_BANK, N_FIRE, N_ENVACC, N_HANDOVER, N_INVEST };

/* earthwork stops in the heating season (11-15 to 03-15); pct: the
 * progress text says how far along it is. */
struct node_type {
    const char *title;
    enum kind kind;
    bool earthwork, pct;
    const char *doing, *done;
};
static const struct node_type node_types[] = {
    [N_LAND] = { "土地摘牌", K_APPROVAL, false, false, "正在办理土地摘牌手续", "已完成土地摘牌" },
    [N_PERMIT] = { "施工许可", K_APPROVAL, false, false, "正在办理施工许可", "已取得施工许可" },
    [N_START] = { "开工", K_START, false, false, "施工队伍进场准备", "已开工建设" },
    [N_TOPPING] = { "主体封顶", K_TOPPING, true, true, "主体结构施工中", "主体已封顶" },
    [N_EQUIP] = { "设备安装", K_OTHER, false, true, "设备安装调试中", "设备安装完成" },
    [N_TRIAL] = { "试生产", K_OTHER, false, false, "生产线试运行", "试生产完成" },
    [N_PRODUCE] = { "投产", K_OPERATION, false, false, "投产准备中", "项目已投产" },
    [N_DEMOL] = { "征迁完成", K_APPROVAL, false, true, "征地拆迁推进中", "征迁已完成" },
    [N_SUBGRADE] = { "路基", K_OTHER, true, true, "路基施工中", "路基施工完成" },
    [N_PIPE] = { "管网", K_OTHER, false, true, "雨污管网铺设中", "管网铺设完成" },
    [N_ASPHALT] = { "沥青摊铺", K_OTHER, true, true, "沥青摊铺施工中", "沥青摊铺完成" },
    [N_OPEN] = { "通车", K_OPERATION, false, true, "附属设施施工中", "已建成通车" },
    [N_FOUND] = { "基础", K_OTHER, true, true, "基础施工中", "基础施工完成" },
    [N_STRUCT] = { "主体完工", K_STRUCTURE, true, true, "主体结构施工中", "主体已完工" },
    [N_DECOR] = { "装饰装修", K_OTHER, false, true, "装饰装修施工中", "装饰装修完成" },
    [N_ACCEPT] = { "竣工验收", K_COMPLETION, false, false, "组织竣工验收", "已通过竣工验收" },
    [N_INUSE] = { "投用", K_OPERATION, false, false, "开办准备中", "已投入使用" },
    [N_DREDGE] = { "河道清淤", K_OTHER, true, true, "河道清淤施工中", "河道清淤完成" },
    [N_GREEN] = { "绿化种植", K_OTHER, false, true, "绿化种植施工中", "绿化种植完成" },
    [N_FILING] = { "项目备案", K_APPROVAL, false, false, "正在办理项目备案", "已完成项目备案" },
    [N_LANDPRE] = { "用地预审", K_APPROVAL, false, false, "正在办理用地预审", "已完成用地预审" },
    [N_EIA] = { "环评批复", K_APPROVAL, false, false, "环评报告编制中", "已取得环评批复" },
    [N_PLANPERMIT] = { "规划许可", K_APPROVAL, false, false, "正在办理规划许可", "已取得规划许可" },
    [N_DRAWING] = { "施工图审查", K_OTHER, false, false, "施工图设计及审查中", "施工图审查完成" },
    [N_ENERGY] = { "节能审查", K_APPROVAL, false, false, "正在办理节能审查", "已通过节能审查" },
    [N_DELIVERY] = { "设备进场", K_OTHER, false, false, "设备采购中", "设备已进场" },
    [N_UTILITY] = { "管线迁改", K_OTHER, true, true, "管线迁改施工中", "管线迁改完成" },
    [N_LIGHTING] = { "绿化亮化", K_OTHER, false, true, "绿化亮化施工中", "绿化亮化完成" },
    [N_MEP] = { "机电安装", K_OTHER, false, true, "机电安装施工中", "机电安装完成" },
    [N_OUTDOOR] = { "室外配套", K_OTHER, false, true, "室外配套施工中", "室外配套完成" },
    [N_FACADE] = { "外立面改造", K_OTHER, false, true, "外立面改造施工中", "外立面改造完成" },
    [N_COMMISSION] = { "调试运行", K_OTHER, false, false, "设备联合调试中", "调试运行完成" },
    [N_BANK] = { "护岸工程", K_OTHER, true, true, "护岸工程施工中", "护岸工程完成" },
    [N_FIRE] = { "消防验收", K_APPROVAL, false, false, "消防验收准备中", "已通过消防验收" },
    [N_ENVACC] = { "环保验收", K_APPROVAL, false, false, "环保验收准备中", "已通过环保验收" },
    [N_HANDOVER] = { "交工验收", K_COMPLETION, false, false, "交工验收准备中", "已通过交工验收" },
    [N_INVEST] = { "双月完成投资", K_INVESTMENT, false, false, "", "" },
};

/* The 双月 goal set halfway through a long phase (kind other). */
static const char *const halfway[N_INVEST + 1] = {
    [N_TOPPING] = "主体结构过半", [N_STRUCT] = "主体结构过半",
    [N_EQUIP] = "设备安装过半", [N_DEMOL] = "征迁过半",
    [N_SUBGRADE] = "路基施工过半", [N_PIPE] = "管网铺设过半",
    [N_FOUND] = "基础施工过半", [N_DECOR] = "装饰装修过半",
    [N_MEP] = "机电安装过半", [N_DREDGE] = "河道清淤过半",
    [N_GREEN] = "绿化种植过半", [N_FACADE] = "外立面改造过半",
    [N_BANK] = "护岸工程过半",
};

/* The usual node chains with a few intermediate nodes, so that a project
 * several years long still has a handful in this year. A step's pos < 0 is
 * days before the start, else per mille of the way from start to end. */
struct step {
    enum node_id node;
    int pos;
};
static const struct step t_ind[] = { { N_LAND, -80 }, { N_PERMIT, -20 },
    { N_START, 0 }, { N_FOUND, 150 }, { N_TOPPING, 400 }, { N_DELIVERY, 550 },
    { N_EQUIP, 650 }, { N_TRIAL, 850 }, { N_ENVACC, 950 }, { N_PRODUCE, 1000 } };
static const struct step t_road[] = { { N_DEMOL, -40 }, { N_START, 0 },
    { N_UTILITY, 150 }, { N_SUBGRADE, 350 }, { N_PIPE, 600 }, { N_ASPHALT, 850 },
    { N_LIGHTING, 920 }, { N_HANDOVER, 970 }, { N_OPEN, 1000 } };
static const struct step t_bld[] = { { N_PERMIT, -20 }, { N_START, 0 },
    { N_FOUND, 200 }, { N_STRUCT, 500 }, { N_MEP, 650 }, { N_DECOR, 750 },
    { N_OUTDOOR, 850 }, { N_FIRE, 900 }, { N_ACCEPT, 940 }, { N_INUSE, 1000 } };
static const struct step t_renov[] = { { N_PERMIT, -20 }, { N_START, 0 },
    { N_PIPE, 400 }, { N_FACADE, 600 }, { N_LIGHTING, 800 }, { N_ACCEPT, 1000 } };
static const struct step t_plant[] = { { N_DEMOL, -60 }, { N_PERMIT, -20 },
    { N_START, 0 }, { N_FOUND, 200 }, { N_STRUCT, 450 }, { N_EQUIP, 700 },
    { N_COMMISSION, 850 }, { N_ENVACC, 900 }, { N_ACCEPT, 940 }, { N_INUSE, 1000 } };
static const struct step t_eco[] = { { N_DEMOL, -40 }, { N_START, 0 },
    { N_DREDGE, 400 }, { N_BANK, 550 }, { N_GREEN, 750 }, { N_ACCEPT, 1000 } };
/* Joint approvals (联审联批) that fill the year of a project with few nodes. */
static const struct step t_approvals[] = { { N_FILING, -210 }, { N_LANDPRE, -170 },
    { N_EIA, -140 }, { N_ENERGY, -125 }, { N_PLANPERMIT, -110 } };

enum tmpl_id { T_IND, T_ROAD, T_BLD, T_RENOV, T_PLANT, T_ECO };
struct tmpl {
    const struct step *steps;
    int n;
};
#define TMPL(a) { a, (int)ARRAY_LEN(a) }
static const struct tmpl templates[] = { TMPL(t_ind), TMPL(t_road),
    TMPL(t_bld), TMPL(t_renov), TMPL(t_plant), TMPL(t_eco) };

/* Name patterns: median total investment (万元), spread of its logarithm
 * (hundredths), code type (01 审批, 02 核准, 03 备案), industry code (0: from
 * the product) and the city bureau that answers for it. */
enum pat_id { P_TONNAGE, P_PARK, P_SHED, P_SMART, P_ROAD, P_ESTATE,
    P_CORRIDOR, P_HIGHWAY, P_NATROAD, P_SEWAGE, P_GRID, P_PUMPED, P_SCHOOL,
    P_HOSPITAL, P_ELDER, P_GYM, P_RIVER, P_MINE, P_N };
struct pattern {
    enum sector sector;
    int weight;
    enum tmpl_id tmpl;
    int median, spread, type, ind;
    const char *bureau;
};
static const struct pattern patterns[P_N] = {
    [P_TONNAGE] = { SEC_IND, 30, T_IND, 50000, 95, 3, 0, "市工信局" },
    [P_PARK] = { SEC_IND, 25, T_IND, 85000, 95, 3, 0, "市发展改革委" },
    [P_SHED] = { SEC_IND, 20, T_BLD, 30000, 70, 3, 47, "市工信局" },
    [P_SMART] = { SEC_IND, 25, T_IND, 60000, 95, 3, 0, "市工信局" },
    [P_ROAD] = { SEC_URB, 45, T_ROAD, 25000, 80, 1, 48, "市住建局" },
    [P_ESTATE] = { SEC_URB, 35, T_RENOV, 15000, 70, 1, 47, "市住建局" },
    [P_CORRIDOR] = { SEC_URB, 20, T_ECO, 50000, 80, 1, 77, "市水利局" },
    [P_HIGHWAY] = { SEC_INF, 12, T_ROAD, 350000, 50, 1, 48, "市交通运输局" },
    [P_NATROAD] = { SEC_INF, 28, T_ROAD, 75000, 70, 1, 48, "市交通运输局" },
    [P_SEWAGE] = { SEC_INF, 25, T_PLANT, 30000, 70, 1, 46, "市城管局" },
    [P_GRID] = { SEC_INF, 25, T_PLANT, 18000, 60, 2, 44, "市发展改革委" },
    [P_PUMPED] = { SEC_INF, 4, T_PLANT, 700000, 20, 2, 44, "市发展改革委" },
    [P_SCHOOL] = { SEC_LIV, 35, T_BLD, 38000, 70, 1, 83, "市教育局" },
    [P_HOSPITAL] = { SEC_LIV, 25, T_BLD, 75000, 70, 1, 84, "市卫健委" },
    [P_ELDER] = { SEC_LIV, 20, T_BLD, 15000, 70, 1, 85, "市民政局" },
    [P_GYM] = { SEC_LIV, 20, T_BLD, 25000, 70, 1, 89, "市体育局" },
    [P_RIVER] = { SEC_ECO, 50, T_ECO, 30000, 70, 1, 77, "市水利局" },
    [P_MINE] = { SEC_ECO, 50, T_ECO, 25000, 70, 1, 77, "市自然资源规划局" },
};

/* A product, its national industry code, and the trade in its maker's name. */
struct product {
    const char *name;
    int ind;
    const char *trade;
};
static const struct product tonnage_goods[] = { { "高端铝板带箔", 32, "铝业" },
    { "钼基新材料", 32, "钼业" }, { "特种合金", 32, "合金材料" },
    { "硅基新材料", 30, "硅材料" }, { "绿色建材", 30, "建材" },
    { "可降解塑料", 29, "新材料" }, { "精细化工品", 26, "化工" },
    { "有机肥", 26, "农业科技" }, { "饲料", 13, "饲料" }, { "食品级淀粉", 13, "食品" },
    { "耐火材料", 30, "耐火材料" }, { "再生铝", 32, "再生资源" } };
static const struct product park_themes[] = { { "智能制造", 34, "智能装备" },
    { "新能源装备", 38, "新能源" }, { "电子信息", 39, "电子科技" },
    { "生物医药", 27, "生物医药" }, { "新材料", 30, "新材料" },
    { "机器人", 34, "机器人" }, { "储能", 38, "储能科技" },
    { "食品加工", 13, "食品" }, { "现代物流", 59, "物流" },
    { "数字经济", 65, "数字科技" } };
static const struct product smart_goods[] = { { "轴承", 34, "轴承" },
    { "矿山装备", 35, "重型机械" }, { "农机装备", 35, "农业装备" },
    { "动力电池", 38, "新能源" }, { "光伏组件", 38, "光伏科技" },
    { "工业机器人", 34, "机器人" }, { "精密铸件", 33, "铸造" },
    { "数控机床", 34, "机床" }, { "电子元器件", 39, "电子科技" },
    { "节能电机", 38, "电机" } };
static const int tonnages[] = { 1, 2, 3, 5, 6, 8, 10, 12, 15, 20, 30, 50 };

static const char *const brands[] = { "恒泰", "华晟", "瑞丰", "鼎新", "宏润",
    "嘉禾", "金盛", "中宇", "泰和", "联创", "博远", "天成", "国瑞", "信达",
    "永昌", "昊天", "盛源", "凯德", "新宇", "汇通", "正元", "弘毅", "安泰",
    "德润", "卓远", "伟业", "兴邦", "锦程", "华拓", "丰源" };
static const char *const roads[] = { "兴业路", "创新路", "学府路", "迎宾路",
    "滨河路", "科技大道", "丰华路", "翠微路", "和顺路", "长兴路", "文博路",
    "锦绣路", "通达路", "富民路", "明德路", "振兴路", "纬一路", "纬二路",
    "纬三路", "纬四路", "纬五路", "纬六路", "纬七路", "纬八路", "经一路",
    "经二路", "经三路", "经四路", "经五路", "经六路", "经七路", "经八路" };
static const char *const rivers[] = { "青龙河", "石门河", "柳林河", "龙泉河",
    "金水河", "白沙河", "清溪河", "双泉河", "马蹄河", "黄龙河", "枣园河",
    "桃花河", "凤凰河", "杨树河", "响水河" };
static const char *const town_a[] = { "东", "西", "南", "北", "上", "下", "大",
    "小", "石", "柳", "杨", "马", "龙", "凤", "白", "青", "金", "黄", "红", "槐" };
static const char *const town_b[] = { "庄", "岭", "沟", "寨", "坪", "店", "集",
    "坡", "营", "桥", "湾", "屯", "铺", "川", "峪", "垛" };
static const char *const streets[] = { "和平", "幸福", "建设", "光明", "友谊",
    "团结", "胜利", "民主", "安乐", "长春", "春晖", "文化", "工农", "健康" };
static const char *const sides[] = { "城东", "城西", "城南", "城北", "新区" };
static const char *const parks[] = { "产业集聚区", "先进制造业开发区",
    "城东工业园", "城西工业园", "北部产业园", "南部产业园", "循环经济产业园",
    "食品产业园", "装备制造园" };
static const char *const schools[] = { "实验高中", "第二高级中学", "第三高级中学",
    "实验初级中学", "第二实验小学", "第三实验小学", "职业教育中心",
    "特殊教育学校", "第一幼儿园", "第二幼儿园" };
static const char *const hospitals[] = { "人民医院", "中医院", "妇幼保健院",
    "第二人民医院", "精神卫生中心", "传染病医院" };
static const char *const cn_num[] = { "一", "二", "三", "四", "五", "六",
    "七", "八", "九" };
static const char *const idle_reasons[] = { "用地手续未办结", "资金未落实到位",
    "施工许可办理中", "征迁未完成", "设计方案调整中" };

/* ---- one project ----------------------------------------------------- */

enum health { H_GREEN, H_YELLOW, H_RED, H_IDLE };
enum status { ST_PENDING, ST_DONE, ST_WAIVED };

struct node {
    enum node_id id;
    long due, done_on;
    bool half;        /* the halfway goal of its phase */
    enum status status;
    int64_t invest;   /* cents of 万元, investment nodes only */
    const char *unit;
};

struct project {
    struct rng rng;
    enum pat_id pat;
    enum sector sector;
    enum category category;
    enum health health;
    enum datefmt datefmt;
    int county, leader, ind, skip_month, idle_reason;
    bool province, completes, started, whole_amounts, ascii_comma;
    long pstart, pend, astart;
    int64_t total, annual;        /* cents of 万元 */
    int64_t plan[13], ytd[13];    /* cumulative, [0] = 0 */
    const char *unit;
    char code[32], name[256], owner[192];
    struct node nodes[MAX_NODES];
    int nnodes;
    struct node sched[MAX_NODES];   /* the whole chain, this year or not */
    int nsched;
};

struct gen {
    int year, size, report_months;
    long today;
    uint64_t seed;
    struct out projects, milestones, reports, plans;
    uint64_t *names;      /* hash set of project names, for uniqueness */
    size_t names_mask;
    long n_nodes, n_done, n_waived, n_overdue, n_future, n_reports, n_plans;
};

static bool
name_claim(struct gen *g, const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */
    for (const unsigned char *s = (const unsigned char *)name; *s; s++)
        h = (h ^ *s) * 0x100000001b3ULL;
    h |= 1;   /* 0 marks an empty slot */
    for (size_t i = h & g->names_mask;; i = (i + 1) & g->names_mask) {
        if (g->names[i] == h)
            return false;
        if (g->names[i] == 0) {
            g->names[i] = h;
            return true;
        }
    }
}

static void
make_company(struct rng *r, const char *brand, const char *trade, char *out, size_t n)
{
    const char *place = rng_chance(r, 0.8) ? "洛阳" : "河南";
    const char *form = rng_chance(r, 0.8) ? "有限公司" : "股份有限公司";
    snprintf(out, n, "%s%s%s%s", place, brand, trade, form);
}

static void
make_town(struct rng *r, char *out, size_t n)
{
    const char *a = PICK(r, town_a), *b = PICK(r, town_b);
    snprintf(out, n, "%s%s", a, b);
}

/* Standard factory buildings are put up by the county's investment company. */
static void
name_shed(struct project *p)
{
    struct rng *r = &p->rng;
    const struct county *c = &counties[p->county];
    const char *park = PICK(r, parks), *phase = cn_num[rng_int(r, 0, 2)];
    const char *brand = PICK(r, brands);
    snprintf(p->name, sizeof p->name, "%s%s标准化厂房建设项目（%s期）", c->name,
             park, phase);
    snprintf(p->owner, sizeof p->owner, "%s%s产业投资有限公司", c->shortname, brand);
    p->ind = patterns[p->pat].ind;
}

static void
name_industry(struct project *p)
{
    struct rng *r = &p->rng;
    const struct county *c = &counties[p->county];
    const struct product *pr = p->pat == P_TONNAGE ? &PICK(r, tonnage_goods)
                             : p->pat == P_PARK ? &PICK(r, park_themes)
                             : &PICK(r, smart_goods);
    const char *brand = PICK(r, brands);
    char company[128];
    make_company(r, brand, pr->trade, company, sizeof company);
    snprintf(p->owner, sizeof p->owner, "%s", company);
    p->ind = pr->ind;
    switch (p->pat) {
    case P_TONNAGE:
        snprintf(p->name, sizeof p->name, "%s年产%d万吨%s项目", company,
                 PICK(r, tonnages), pr->name);
        break;
    case P_PARK:
        snprintf(p->name, sizeof p->name, "%s%s%s产业园（%s期）", c->shortname,
                 brand, pr->name, cn_num[rng_pick(r, (const int[]){ 6, 3, 1 }, 3)]);
        break;
    case P_SMART:
        snprintf(p->name, sizeof p->name, "%s%s智能工厂", company, pr->name);
        break;
    default:
        name_shed(p);
    }
}

/* A section runs between two roads that cross it: 经 roads run one way,
 * 纬 roads the other. */
static bool
roads_cross(const char *a, const char *b)
{
    return a != b && !(strncmp(a, "经", 3) == 0 && strncmp(b, "经", 3) == 0)
           && !(strncmp(a, "纬", 3) == 0 && strncmp(b, "纬", 3) == 0);
}

static void
name_urban(struct project *p)
{
    struct rng *r = &p->rng;
    const struct county *c = &counties[p->county];
    const char *a = PICK(r, roads), *b, *e;
    do
        b = PICK(r, roads);
    while (!roads_cross(a, b));
    do
        e = PICK(r, roads);
    while (!roads_cross(a, e) || e == b);
    snprintf(p->owner, sizeof p->owner, "%s%s建设投资有限公司", c->shortname,
             PICK(r, brands));
    switch (p->pat) {
    case P_ROAD:
        snprintf(p->name, sizeof p->name, "%s（%s—%s段）%s", a, b, e,
                 rng_chance(r, 0.7) ? "改造提升工程" : "新建工程");
        break;
    case P_ESTATE:
        snprintf(p->name, sizeof p->name, "%d年%s%s街道老旧小区改造项目",
                 year_of(p->pstart), c->name, PICK(r, streets));
        break;
    default:
        snprintf(p->name, sizeof p->name, "%s（%s段）生态廊道", PICK(r, rivers),
                 c->shortname);
    }
}

static void
name_infra(struct project *p)
{
    struct rng *r = &p->rng;
    const struct county *c = &counties[p->county];
    char t1[32], t2[32];
    make_town(r, t1, sizeof t1);
    make_town(r, t2, sizeof t2);
    snprintf(p->owner, sizeof p->owner, "洛阳%s%s有限公司", PICK(r, brands),
             p->pat == P_HIGHWAY || p->pat == P_NATROAD ? "交通建设"
             : p->pat == P_SEWAGE ? "水务" : "能源开发");
    switch (p->pat) {
    case P_HIGHWAY:
        snprintf(p->name, sizeof p->name, "%s至%s高速公路", t1, t2);
        break;
    case P_NATROAD: {
        bool national = rng_chance(r, 0.7);
        int number = national ? rng_int(r, 310, 399) : rng_int(r, 210, 299);
        snprintf(p->name, sizeof p->name, "%c%d线%s境改建工程", national ? 'G' : 'S',
                 number, c->shortname);
        break;
    }
    case P_SEWAGE: {
        const char *side = PICK(r, sides), *phase = cn_num[rng_int(r, 1, 2)];
        snprintf(p->name, sizeof p->name, "%s%s污水处理厂%s期扩建工程", c->name,
                 side, phase);
        break;
    }
    case P_GRID:
        snprintf(p->name, sizeof p->name, "%s%s%d千伏输变电工程", c->shortname, t1,
                 rng_chance(r, 0.75) ? 110 : 220);
        break;
    default:
        snprintf(p->name, sizeof p->name, "%s%s抽水蓄能电站", c->name, t1);
    }
}

static void
name_people(struct project *p)
{
    struct rng *r = &p->rng;
    const struct county *c = &counties[p->county];
    char town[32];
    make_town(r, town, sizeof town);
    switch (p->pat) {
    case P_SCHOOL: {
        const char *side = rng_chance(r, 0.5) ? PICK(r, sides) : "";
        const char *school = PICK(r, schools);
        snprintf(p->name, sizeof p->name, "%s%s%s建设项目", c->name, side, school);
        snprintf(p->owner, sizeof p->owner, "%s教育局", c->name);
        break;
    }
    case P_HOSPITAL: {
        const char *h = PICK(r, hospitals);
        snprintf(p->name, sizeof p->name, "%s%s新院区", c->name, h);
        snprintf(p->owner, sizeof p->owner, "%s%s", c->name, h);
        break;
    }
    case P_ELDER:
        snprintf(p->name, sizeof p->name, "%s%s%s养老服务中心", c->name, town,
                 c->towns ? "镇" : "街道");
        snprintf(p->owner, sizeof p->owner, "%s民政局", c->name);
        break;
    default:
        snprintf(p->name, sizeof p->name, "%s%s全民健身中心", c->name,
                 rng_chance(r, 0.5) ? PICK(r, sides) : "");
        snprintf(p->owner, sizeof p->owner, "%s体育中心", c->name);
    }
}

static void
name_ecology(struct project *p)
{
    struct rng *r = &p->rng;
    const struct county *c = &counties[p->county];
    char town[32];
    make_town(r, town, sizeof town);
    if (p->pat == P_RIVER) {
        snprintf(p->name, sizeof p->name, "%s（%s段）综合治理工程", PICK(r, rivers),
                 c->shortname);
        snprintf(p->owner, sizeof p->owner, "%s水利局", c->name);
    } else {
        snprintf(p->name, sizeof p->name, "%s%s矿区生态修复工程", c->name, town);
        snprintf(p->owner, sizeof p->owner, "%s自然资源局", c->name);
    }
}

/* Names are unique: redraw a few times, then number a further phase. */
static void
make_name(struct gen *g, struct project *p)
{
    static void (*const by_sector[SEC_N])(struct project *) = {
        name_industry, name_urban, name_infra, name_people, name_ecology };
    for (int tries = 0; tries < 12; tries++) {
        by_sector[p->sector](p);
        if (name_claim(g, p->name))
            return;
    }
    size_t base = strlen(p->name);
    for (int phase = 2;; phase++) {
        p->name[base] = '\0';
        size_t room = sizeof p->name - base;
        if (phase <= 9)
            snprintf(p->name + base, room, "（%s期）", cn_num[phase - 1]);
        else
            snprintf(p->name + base, room, "（%d期）", phase);
        if (name_claim(g, p->name))
            return;
    }
}

/* Log-normal, rounded the way people write budgets: big ones in round
 * thousands or hundreds of 万元, some with decimals. */
static int64_t
draw_total(struct project *p)
{
    const struct pattern *pt = &patterns[p->pat];
    struct rng *r = &p->rng;
    double wan = pt->median * xexp(pt->spread / 100.0 * rng_normal(r));
    if (wan < 1000)
        wan = 1000 + rng_int(r, 0, 500);
    if (wan > 1000000)
        wan = 1000000;
    int64_t c = (int64_t)(wan * 100 + 0.5);
    double u = rng_unit(r);
    if (wan >= 20000 && u < 0.5)
        return (c + 50000) / 100000 * 100000;
    if (u < 0.6)
        return (c + 5000) / 10000 * 10000;
    if (u < 0.85)
        return (c + 50) / 100 * 100;
    return c;
}

static long
rand_day(struct rng *r, int y, int mfirst, int mlast)
{
    int m = rng_int(r, mfirst, mlast);
    return day_of(y, m, rng_int(r, 1, 28));
}

static int
build_months(struct project *p)
{
    int64_t wan = p->total / 100;
    int base = wan < 10000 ? 10 : wan < 30000 ? 14 : wan < 100000 ? 18
             : wan < 300000 ? 26 : 36;
    return base + rng_int(&p->rng, -2, 6);
}

static void
plan_dates(const struct gen *g, struct project *p)
{
    static const int start_w[12] = { 0, 4, 14, 16, 14, 14, 10, 8, 8, 7, 3, 2 };
    static const int back_w[3] = { 45, 35, 20 };
    struct rng *r = &p->rng;
    int y = g->year;
    if (p->category == CAT_NEW) {
        int m = rng_pick(r, start_w, 12) + 1;
        p->pstart = day_of(y, m, rng_int(r, 1, 28));
        if (p->total < 1500000 && m <= 7 && rng_chance(r, 0.5))
            p->pend = p->pstart + rng_int(r, 120, (int)(day_of(y, 12, 20) - p->pstart));
        else
            p->pend = add_months(p->pstart, build_months(p));
    } else if (p->category == CAT_CONT) {
        int sy = y - 1 - rng_pick(r, back_w, 3);
        p->pstart = rand_day(r, sy, 1, 12);
        p->pend = add_months(p->pstart, build_months(p));
        if (rng_chance(r, 0.4))
            p->pend = rand_day(r, y, 3, 12);
        else if (year_of(p->pend) <= y)
            p->pend = rand_day(r, y + 1, 1, 12);
    } else {
        p->pstart = rand_day(r, y + 1, 1, 9);
        p->pend = add_months(p->pstart, build_months(p));
    }
    p->completes = year_of(p->pend) == y;
}

static int64_t
draw_annual(const struct gen *g, struct project *p)
{
    struct rng *r = &p->rng;
    int permille;
    if (p->category == CAT_PREP)
        permille = rng_int(r, 20, 60);
    else if (year_of(p->pstart) == g->year && p->completes)
        permille = rng_int(r, 850, 1000);
    else
        permille = rng_int(r, 250, 350);
    int64_t a = p->total * permille / 1000;
    double u = rng_unit(r);
    a = u < 0.7 ? a / 100 * 100 : u < 0.9 ? a / 10 * 10 : a;
    return a < 100 ? 100 : a;
}

/* Investment health as of the last report: most within 90–120% of plan,
 * some yellow, a few red, and some new starts that never started. */
static enum health
draw_health(const struct gen *g, struct project *p)
{
    struct rng *r = &p->rng;
    if (p->category == CAT_NEW && p->pstart < g->today && rng_chance(r, 0.07))
        return H_IDLE;
    double u = rng_unit(r);
    return u < 0.03 ? H_RED : u < 0.18 ? H_YELLOW : H_GREEN;
}

static void
draw_start(const struct gen *g, struct project *p)
{
    struct rng *r = &p->rng;
    p->started = false;
    if (p->category == CAT_CONT)
        p->astart = p->pstart + rng_int(r, -15, 40);
    else if (p->category == CAT_NEW && p->health != H_IDLE && p->pstart <= g->today)
        p->astart = p->pstart + rng_int(r, -10, 25);
    else
        return;
    if (p->astart > g->today)
        p->astart = g->today;
    p->started = true;
}

/* Who answers for it: the county for most, a city bureau for some (more
 * of the provincial ones); provincial projects go to a 市委常委. */
static void
assign_people(struct project *p)
{
    struct rng *r = &p->rng;
    int64_t wan = p->total / 100;
    double prov = wan >= 200000 ? 0.55 : wan >= 80000 ? 0.3 : wan >= 30000 ? 0.13 : 0.05;
    p->province = rng_chance(r, prov);
    bool city = rng_chance(r, p->province ? 0.5 : 0.3);
    p->unit = city ? patterns[p->pat].bureau : counties[p->county].unit;
    if (p->province)
        p->leader = (p->county + (int)p->sector) % N_TOP_LEADERS;
    else
        p->leader = N_TOP_LEADERS + (p->county * 7 + (int)p->sector * 3 + (city ? 5 : 0))
                    % (N_LEADERS - N_TOP_LEADERS);
}

/* 24 characters: year-region-industry-type-serial. The serial is an affine
 * permutation of the index, so codes are unique up to MAX_SIZE projects. */
static void
make_code(const struct gen *g, struct project *p, int index)
{
    struct rng *r = &p->rng;
    int y = p->category == CAT_CONT ? year_of(p->pstart) : g->year;
    if (rng_chance(r, 0.3))
        y--;
    int type = patterns[p->pat].type;
    if (type == 3 && rng_chance(r, 0.1))
        type = 2;
    long serial = (long)(((uint64_t)index * 524287u + 98765u) % 999999u) + 1;
    snprintf(p->code, sizeof p->code, "%04d-%06d-%02d-%02d-%06ld", y,
             counties[p->county].region, p->ind, type, serial);
}

static void
draw_identity(struct project *p)
{
    struct rng *r = &p->rng;
    int sw[P_N], county_w[N_COUNTIES];
    for (int i = 0; i < N_COUNTIES; i++)
        county_w[i] = counties[i].weight;
    p->sector = (enum sector)rng_pick(r, sector_weight, SEC_N);
    p->category = (enum category)rng_pick(r, category_weight, CAT_N);
    p->county = rng_pick(r, county_w, N_COUNTIES);
    for (int i = 0; i < P_N; i++)
        sw[i] = patterns[i].sector == p->sector ? patterns[i].weight : 0;
    p->pat = (enum pat_id)rng_pick(r, sw, P_N);
    if (p->pat == P_PUMPED && !counties[p->county].mountain)
        p->pat = P_GRID;
    double u = rng_unit(r);
    p->datefmt = u < 0.6 ? DF_ISO : u < 0.85 ? DF_SLASH : DF_CJK;
    p->whole_amounts = rng_chance(r, 0.5);
    p->ascii_comma = rng_chance(r, 0.1);
    p->idle_reason = rng_int(r, 0, (int)ARRAY_LEN(idle_reasons) - 1);
}

/* ---- plan and actual investment ------------------------------------- */

/* S-curve: little in January–February and after mid-November. */
static void
make_plan(const struct gen *g, struct project *p)
{
    static const int base[12] = { 3, 4, 8, 10, 11, 11, 10, 10, 11, 11, 7, 4 };
    struct rng *r = &p->rng;
    int first = 1, last = 12;
    if (p->category == CAT_PREP)
        first = rng_int(r, 4, 9);
    else if (year_of(p->pstart) == g->year)
        first = month_of(p->pstart);
    if (p->completes)
        last = month_of(p->pend);
    int64_t w[13] = { 0 }, sum = 0;
    for (int m = first; m <= last; m++) {
        w[m] = base[m - 1] * rng_int(r, 80, 120);
        if (m == first && first > 1)
            w[m] /= 2;
        sum += w[m];
    }
    int64_t cum = 0;
    p->plan[0] = 0;
    for (int m = 1; m <= 12; m++) {
        cum += w[m];
        p->plan[m] = (p->annual * cum / sum + 50) / 100 * 100;
    }
    p->plan[12] = p->annual;
    for (int m = 11; m >= 1; m--)   /* rounding must not pass the total */
        if (p->plan[m] > p->plan[m + 1])
            p->plan[m] = p->plan[m + 1];
}

/* Where year-to-date investment ends, as a share of the plan to date. */
static double
final_ratio(struct project *p, int months)
{
    struct rng *r = &p->rng;
    double planned = (double)p->plan[months], annual = (double)p->annual;
    double u = rng_unit(r), behind;
    if (planned <= 0 || p->health == H_GREEN)
        return 0.92 + 0.26 * u;
    behind = p->health == H_YELLOW ? 11 + 17 * u : 33 + 22 * u;
    double target = planned - behind * annual / 100;
    if (target < 0.1 * planned)
        target = 0.1 * planned;
    return target / planned;
}

static void
make_actuals(const struct gen *g, struct project *p)
{
    struct rng *r = &p->rng;
    int months = g->report_months;
    memset(p->ytd, 0, sizeof p->ytd);
    p->skip_month = months >= 2 && rng_chance(r, 0.02) ? rng_int(r, 1, months) : 0;
    if (months == 0 || (!p->started && p->category != CAT_PREP))
        return;
    double rf = final_ratio(p, months);
    int startm = !p->started || year_of(p->astart) < g->year ? 1 : month_of(p->astart);
    for (int m = 1; m <= months; m++) {
        double t = (double)m / months;   /* lag builds up as the year goes */
        double ratio = 1 + (rf - 1) * t * t + (m < months ? (rng_unit(r) - 0.5) * 0.06 : 0);
        int64_t v = m < startm ? 0 : (int64_t)((double)p->plan[m] * ratio);
        if (v > p->annual + p->annual / 10)
            v = p->annual + p->annual / 10;
        v = p->whole_amounts ? v / 100 * 100 : v;
        p->ytd[m] = v < p->ytd[m - 1] ? p->ytd[m - 1] : v;
    }
}

/* ---- milestones ------------------------------------------------------ */

static void
add_node(struct project *p, enum node_id id, long due)
{
    if (p->nnodes == MAX_NODES)
        return;
    struct node *n = &p->nodes[p->nnodes++];
    n->id = id;
    n->due = due;
    n->half = false;
    n->status = ST_PENDING;
    n->done_on = 0;
    n->invest = 0;
    n->unit = p->unit;
}

/* Earthwork is planned outside the heating season: late ones are pulled
 * before 11-15 when the previous node allows, else go to next spring. */
static long
freeze_adjust(struct project *p, enum node_id id, long due, long prev)
{
    if (!node_types[id].earthwork)
        return due;
    int y = year_of(due);
    long freeze = day_of(y, 11, 15), thaw = day_of(y, 3, 15);
    if (due >= freeze) {
        long t = freeze - 1 - rng_int(&p->rng, 0, 9);
        return t > prev ? t : day_of(y + 1, 3, 16) + rng_int(&p->rng, 0, 14);
    }
    if (due <= thaw)
        return thaw + 1 + rng_int(&p->rng, 0, 14);
    return due;
}

static void
add_template(const struct gen *g, struct project *p)
{
    const struct tmpl *t = &templates[patterns[p->pat].tmpl];
    long first = day_of(g->year, 1, 1), last = day_of(g->year, 12, 31);
    long span = p->pend - p->pstart, prev = 0;
    for (int i = 0; i < t->n; i++) {
        const struct step *s = &t->steps[i];
        long due = s->pos < 0 ? p->pstart + s->pos + rng_int(&p->rng, -7, 7)
                 : s->pos == 0 ? p->pstart : s->pos == 1000 ? p->pend
                 : p->pstart + span * s->pos / 1000 + rng_int(&p->rng, -10, 10);
        due = freeze_adjust(p, s->node, due, prev);
        if (s->pos > 0 && halfway[s->node] != NULL && due - prev >= 120) {
            long mid = freeze_adjust(p, s->node, prev + (due - prev) / 2, prev);
            if (mid >= first && mid <= last && mid < due) {
                add_node(p, s->node, mid);
                p->nodes[p->nnodes - 1].half = true;
            }
        }
        prev = due;
        if (due >= first && due <= last)
            add_node(p, s->node, due);
        p->sched[p->nsched].id = s->node;
        p->sched[p->nsched++].due = due;
    }
}

/* A project being prepared (前期) has only its joint approvals this year. */
static void
add_preliminary(const struct gen *g, struct project *p)
{
    static const enum node_id ids[] = { N_FILING, N_LANDPRE, N_EIA,
        N_PLANPERMIT, N_DRAWING, N_PERMIT };
    static const int months[] = { 3, 5, 6, 8, 10, 12 };
    for (int i = 0; i < (int)ARRAY_LEN(ids); i++) {
        add_node(p, ids[i], day_of(g->year, months[i], rng_int(&p->rng, 5, 25)));
        p->sched[p->nsched++] = p->nodes[p->nnodes - 1];
    }
}

/* One node per two-month window with planned investment in it. */
static void
add_investment(const struct gen *g, struct project *p)
{
    for (int w = 1; w <= 6; w++) {
        int64_t inc = p->plan[2 * w] - p->plan[2 * w - 2];
        if (inc < 100)
            continue;
        add_node(p, N_INVEST, day_of(g->year, 2 * w, month_days(g->year, 2 * w)));
        p->nodes[p->nnodes - 1].invest = (inc + 50) / 100 * 100;
    }
}

/* By due date, stable: the freeze can move a node past its neighbour. */
static void
sort_nodes(struct node *a, int n)
{
    for (int i = 1; i < n; i++) {
        struct node x = a[i];
        int j = i;
        for (; j > 0 && a[j - 1].due > x.due; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

/* Drops the earliest investment (or halfway) nodes down to target. */
static void
drop_nodes(struct project *p, bool half, int target)
{
    for (int i = 0; i < p->nnodes && p->nnodes > target;) {
        if (half ? p->nodes[i].half : p->nodes[i].id == N_INVEST) {
            memmove(&p->nodes[i], &p->nodes[i + 1],
                    (size_t)(p->nnodes - i - 1) * sizeof p->nodes[0]);
            p->nnodes--;
        } else {
            i++;
        }
    }
}

/* 6–10 nodes: approvals fill a thin year, early investment nodes go first
 * from a crowded one. */
static void
fit_node_count(const struct gen *g, struct project *p)
{
    long first = day_of(g->year, 1, 1);
    for (int i = 0; i < (int)ARRAY_LEN(t_approvals) && p->nnodes < 6; i++) {
        long due = p->pstart + t_approvals[i].pos + rng_int(&p->rng, -7, 7);
        if (due >= first && p->category == CAT_NEW)
            add_node(p, t_approvals[i].node, due);
    }
    int target = rng_int(&p->rng, 8, 11);
    drop_nodes(p, false, target > 10 ? 10 : target);
    drop_nodes(p, true, 10);
}

static void
settle_node(const struct gen *g, struct project *p, struct node *n, bool *late)
{
    struct rng *r = &p->rng;
    static const double overdue[] = { [H_GREEN] = 0.02, [H_YELLOW] = 0.10,
        [H_RED] = 0.25, [H_IDLE] = 1.0 };
    if (n->id == N_INVEST) {
        int m = month_of(n->due);
        if (p->ytd[m] * 10 >= p->plan[m] * 9) {
            n->status = ST_DONE;
            n->done_on = n->due;
        }
        return;
    }
    if (n->id == N_START && p->category == CAT_NEW) {
        if (p->started) {   /* the start node is the project's actual start */
            n->status = ST_DONE;
            n->done_on = p->astart;
            *late = false;
        }
        return;
    }
    bool before_start = n->due < p->pstart && node_types[n->id].kind == K_APPROVAL;
    double q = *late ? 0.6 : overdue[p->health];   /* one late node delays the next */
    if (p->health == H_IDLE)   /* never started: nothing after the start is done */
        q = !before_start ? 1.0 : n->id == N_PERMIT ? 0.5 : 0.05;
    if (rng_chance(r, q)) {
        *late = true;
        return;
    }
    if (n->id != N_START && rng_chance(r, 0.01)) {
        n->status = ST_WAIVED;
        return;
    }
    n->status = ST_DONE;
    n->done_on = n->due + rng_int(r, -15, 3);
    long jan1 = day_of(g->year, 1, 1);
    n->done_on = n->done_on > g->today ? g->today : n->done_on < jan1 ? jan1 : n->done_on;
}

static void
make_nodes(const struct gen *g, struct project *p)
{
    p->nnodes = p->nsched = 0;
    if (p->category == CAT_PREP)
        add_preliminary(g, p);
    else
        add_template(g, p);
    add_investment(g, p);
    fit_node_count(g, p);
    sort_nodes(p->nodes, p->nnodes);
    sort_nodes(p->sched, p->nsched);
    bool late = false;
    for (int i = 0; i < p->nnodes; i++) {
        struct node *n = &p->nodes[i];
        if (n->id == N_DEMOL && p->unit != counties[p->county].unit)
            n->unit = counties[p->county].unit;   /* 征迁 is the county's job */
        bool started_early = n->id == N_START && p->started && n->due >= g->today;
        if (n->due < g->today || started_early)
            settle_node(g, p, n, &late);
    }
}

/* ---- rows ------------------------------------------------------------ */

static void
write_project(struct gen *g, const struct project *p)
{
    struct out *o = &g->projects;
    const struct leader *l = &leaders[p->leader];
    out_field(o, p->code);
    out_put(o, ",");
    out_field(o, p->name);
    out_put(o, ",");
    out_long(o, g->year, 4);
    const char *text[] = { p->province ? "省" : "市", counties[p->county].name,
        sector_zh[p->sector], category_zh[p->category], p->owner, p->unit,
        l->name, l->title, l->mobile };
    for (int i = 0; i < (int)ARRAY_LEN(text); i++) {
        out_put(o, ",");
        out_field(o, text[i]);
    }
    out_put(o, ",");
    out_money(o, p->total);
    out_put(o, ",");
    out_money(o, p->annual);
    out_put(o, ",");
    out_date(o, p->pstart, p->datefmt);
    out_put(o, ",");
    out_date(o, p->pend, p->datefmt);
    out_put(o, ",");
    if (p->started)
        out_date(o, p->astart, p->datefmt);
    out_put(o, p->completes ? ",是" : ",否");
    out_end(o);
}

static void
write_nodes(struct gen *g, const struct project *p)
{
    static const char *const status_names[] = { "pending", "done", "waived" };
    struct out *o = &g->milestones;
    char title[64];
    for (int i = 0; i < p->nnodes; i++) {
        const struct node *n = &p->nodes[i];
        const struct node_type *t = &node_types[n->id];
        if (n->id == N_INVEST)
            snprintf(title, sizeof title, "%s%" PRId64 "万元", t->title, n->invest / 100);
        else
            snprintf(title, sizeof title, "%s", n->half ? halfway[n->id] : t->title);
        out_field(o, p->code);
        out_put(o, ",");
        out_long(o, g->year, 4);
        out_put(o, "-B");
        out_long(o, (month_of(n->due) + 1) / 2, 1);
        out_put(o, ",");
        out_put(o, kind_names[n->half ? K_OTHER : t->kind]);
        out_put(o, ",");
        out_field(o, title);
        out_put(o, ",");
        out_date(o, n->due, DF_ISO);
        out_put(o, ",");
        out_field(o, n->unit);
        out_put(o, ",");
        out_put(o, status_names[n->status]);
        out_put(o, ",");
        if (n->status == ST_DONE)
            out_date(o, n->done_on, DF_ISO);
        out_end(o);
        g->n_nodes++;
        g->n_done += n->status == ST_DONE;
        g->n_waived += n->status == ST_WAIVED;
        g->n_overdue += n->status == ST_PENDING && n->due < g->today;
        g->n_future += n->status == ST_PENDING && n->due >= g->today;
    }
}

/* The first of this year's chain nodes still open at end, if late. */
static const struct node *
late_node(const struct project *p, long end)
{
    for (int i = 0; i < p->nnodes; i++) {
        const struct node *nd = &p->nodes[i];
        if (nd->id == N_INVEST || nd->half || nd->due >= end)
            continue;
        if (nd->status == ST_PENDING || (nd->status == ST_DONE && nd->done_on > end))
            return nd;
    }
    return NULL;
}

/* 形象进度 at a month's end: the step under way in the whole chain, how far
 * along, and the node that is late if any. */
static void
progress_text(const struct project *p, long end, char *out, size_t n)
{
    const char *comma = p->ascii_comma ? "," : "，";
    const struct node *lag = late_node(p, end);
    long prev = p->nsched > 0 && p->sched[0].due < p->pstart ? p->sched[0].due - 90
              : p->pstart;
    if (!p->started && end >= p->pstart && p->category != CAT_PREP) {
        snprintf(out, n, "尚未开工%s%s", comma, idle_reasons[p->idle_reason]);
        return;
    }
    for (int i = 0; i < p->nsched; i++) {
        const struct node *nd = &p->sched[i];
        if (nd->due < end) {
            prev = nd->due;
            continue;
        }
        const struct node_type *t = &node_types[nd->id];
        long pct = nd->due > prev ? (end - prev) * 100 / (nd->due - prev) : 90;
        pct = pct < 5 ? 5 : pct > 95 ? 95 : pct / 5 * 5;
        size_t k = (size_t)snprintf(out, n, "%s", t->doing);
        if (t->pct && k < n)
            k += (size_t)snprintf(out + k, n - k, "%s完成%ld%%", comma, pct);
        if (lag != NULL && k < n)
            snprintf(out + k, n - k, "%s%s滞后", comma, node_types[lag->id].title);
        return;
    }
    if (lag != NULL)
        snprintf(out, n, "%s%s滞后于计划", node_types[lag->id].doing, comma);
    else if (p->nsched > 0)
        snprintf(out, n, "%s", node_types[p->sched[p->nsched - 1].id].done);
    else
        snprintf(out, n, "项目有序推进中");
}

static void
write_reports(struct gen *g, const struct project *p)
{
    struct out *o = &g->reports;
    char text[160];
    int lastm = 0;
    for (int m = 1; m <= g->report_months; m++) {
        if (m == p->skip_month)
            continue;
        out_field(o, p->code);
        out_put(o, ",");
        out_month(o, g->year, m);
        out_put(o, ",");
        out_money(o, p->ytd[m] - p->ytd[lastm]);
        out_put(o, ",");
        out_money(o, p->ytd[m]);
        out_put(o, ",");
        progress_text(p, day_of(g->year, m, month_days(g->year, m)), text, sizeof text);
        out_field(o, text);
        out_end(o);
        lastm = m;
        g->n_reports++;
    }
}

static void
write_plans(struct gen *g, const struct project *p)
{
    struct out *o = &g->plans;
    for (int m = 1; m <= 12; m++) {
        out_field(o, p->code);
        out_put(o, ",");
        out_month(o, g->year, m);
        out_put(o, ",");
        out_money(o, p->plan[m]);
        out_end(o);
        g->n_plans++;
    }
}

static void
generate_one(struct gen *g, struct project *p, int index)
{
    rng_seed(&p->rng, g->seed, (uint64_t)index);
    draw_identity(p);
    p->total = draw_total(p);
    plan_dates(g, p);
    make_name(g, p);
    p->annual = draw_annual(g, p);
    assign_people(p);
    make_code(g, p, index);
    p->health = draw_health(g, p);
    draw_start(g, p);
    make_plan(g, p);
    make_actuals(g, p);
    make_nodes(g, p);
    write_project(g, p);
    write_nodes(g, p);
    write_reports(g, p);
    write_plans(g, p);
}

/* ---- main ------------------------------------------------------------ */

static void
usage(FILE *f)
{
    fprintf(f, "usage: keyproj-gen [--year Y] [--size N] [--today YYYY-MM-DD]"
               " [--seed S] [--out DIR]\n"
               "Writes DIR/projects.csv, milestones.csv, reports.csv and plans.csv:\n"
               "a synthetic, deterministic demo data set (see data/README.md).\n"
               "Defaults: --year 2026 --size 515 --today Y-11-25 --seed 1 --out .\n");
}

static bool
parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0' && *out <= max;
}

static bool
parse_day(const char *s, long *out)
{
    int y, m, d, used = 0;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3
        || used != 10 || s[4] != '-' || s[7] != '-')
        return false;
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return false;
    *out = day_of(y, m, d);
    return true;
}

static int
bad_arg(const char *what, const char *value)
{
    fprintf(stderr, "keyproj-gen: bad %s '%s'\n", what, value);
    usage(stderr);
    return 2;
}

static int
parse_args(int argc, char **argv, struct gen *g, const char **dir)
{
    static const struct option opts[] = { { "year", required_argument, NULL, 'y' },
        { "size", required_argument, NULL, 'n' }, { "today", required_argument, NULL, 't' },
        { "seed", required_argument, NULL, 's' }, { "out", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
    unsigned long long v;
    const char *today = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "y:n:t:s:o:h", opts, NULL)) != -1) {
        if (c == 'y' && parse_num(optarg, 2099, &v) && v >= 2000)
            g->year = (int)v;
        else if (c == 'n' && parse_num(optarg, MAX_SIZE, &v) && v >= 1)
            g->size = (int)v;
        else if (c == 's' && parse_num(optarg, UINT64_MAX, &v))
            g->seed = v;
        else if (c == 't')
            today = optarg;
        else if (c == 'o' && *optarg != '\0')
            *dir = optarg;
        else if (c == 'h') {
            usage(stdout);
            return -1;
        } else if (c == '?') {
            usage(stderr);
            return 2;
        } else
            return bad_arg(c == 'y' ? "--year (2000–2099)" : c == 'n'
                           ? "--size (1–999999)" : c == 's' ? "--seed" : "--out", optarg);
    }
    if (optind < argc)
        return bad_arg("argument", argv[optind]);
    g->today = day_of(g->year, 11, 25);
    if (today != NULL && !parse_day(today, &g->today))
        return bad_arg("--today (YYYY-MM-DD)", today);
    return 0;
}

static int
months_reported(const struct gen *g)
{
    int y = year_of(g->today);
    return y > g->year ? 12 : y < g->year ? 0 : month_of(g->today) - 1;
}

static bool
open_all(struct gen *g, const char *dir)
{
    static const char *const headers[] = {
        ("项目编号,项目名称,年度,级别,县区,领域,类别,建设单位,责任单位,分包领导,"
         "领导职务,联系电话,总投资,年度计划投资,计划开工,计划竣工,实际开工,当年竣工"),
        "project,campaign,kind,title,due,unit,status,done_on",
        "project,month,amount,ytd,progress",
        "project,month,planned_cumulative" };
    struct out *outs[] = { &g->projects, &g->milestones, &g->reports, &g->plans };
    static const char *const files[] = { "projects.csv", "milestones.csv",
        "reports.csv", "plans.csv" };
    bool ok = true;
    for (int i = 0; i < 4; i++) {
        if (ok)   /* one message for an unwritable directory is enough */
            ok = out_open(outs[i], dir, files[i]);
        out_put(outs[i], headers[i]);
        out_end(outs[i]);
    }
    return ok;
}

static bool
close_all(struct gen *g, bool keep)
{
    bool ok = out_close(&g->projects, keep);
    ok = out_close(&g->milestones, keep) && ok;
    ok = out_close(&g->reports, keep) && ok;
    return out_close(&g->plans, keep) && ok;
}

int
main(int argc, char **argv)
{
    struct gen g = { .year = 2026, .size = 515, .seed = 1 };
    const char *dir = ".";
    int rc = parse_args(argc, argv, &g, &dir);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    g.report_months = months_reported(&g);
    size_t cap = 1024;
    while (cap < (size_t)g.size * 2)
        cap *= 2;
    g.names = xcalloc(cap, sizeof g.names[0]);
    g.names_mask = cap - 1;
    bool ok = open_all(&g, dir);
    struct project *p = xmalloc(sizeof *p);
    for (int i = 0; ok && i < g.size; i++) {
        generate_one(&g, p, i);
        if (g.size >= 10000 && (i + 1) % (g.size / 10) == 0 && (i + 1) / (g.size / 10) <= 10)
            fprintf(stderr, "keyproj-gen: %d%% (%d of %d projects)\n",
                    (i + 1) / (g.size / 10) * 10, i + 1, g.size);
    }
    free(p);
    free(g.names);
    ok = close_all(&g, ok) && ok;
    if (!ok)
        return 1;
    char today[16];
    int y, m, d;
    ymd_of(g.today, &y, &m, &d);
    snprintf(today, sizeof today, "%04d-%02d-%02d", y, m, d);
    fprintf(stderr, "keyproj-gen: year=%d today=%s seed=%" PRIu64 " out=%s projects=%d"
            " milestones=%ld done=%ld waived=%ld overdue=%ld pending=%ld reports=%ld"
            " plans=%ld\n", g.year, today, g.seed, dir, g.size, g.n_nodes, g.n_done,
            g.n_waived, g.n_overdue, g.n_future, g.n_reports, g.n_plans);
    return 0;
}
