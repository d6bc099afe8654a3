-- 0006_office_approvals.sql — the project office's own work: the problem
-- categories become data an office extends (问题清单, with the 要素保障
-- categories 用电, 用气, 用煤 and 用水), and a 联审联批 item can follow the
-- approval milestone it came from.
--
-- problem_category is the one home of the accepted categories: problem
-- add, problem list --category, the problems import and problem stats all
-- read it (keyproj_problem_category in sql/functions/admin.sql resolves a
-- code, its Chinese name or an alias); `problem category add` extends it.
CREATE TABLE problem_category (
    code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,31}$'),
    name       text NOT NULL UNIQUE CHECK (btrim(name) <> ''),   -- what tables print: 用地
    aliases    text[] NOT NULL DEFAULT '{}',                     -- other spellings the sheets use
    grp        text NULL CHECK (btrim(grp) <> ''),               -- a heading such as 要素保障
    sort       int NOT NULL DEFAULT 100,                          -- order in lists and messages
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO problem_category (code, name, aliases, grp, sort) VALUES
    ('funding', '资金', '{资金问题,融资}', NULL, 10),
    ('planning', '规划', '{规划问题}', NULL, 20),
    ('land', '用地', '{土地,用地问题}', NULL, 30),
    ('environment', '环保', '{环评,生态环保,环境}', NULL, 40),
    ('demolition', '征迁', '{征地拆迁,拆迁,征拆}', NULL, 50),
    ('approval', '审批', '{手续,审批手续}', NULL, 60),
    ('construction', '施工', '{建设,施工问题}', NULL, 70),
    ('element_power', '用电', '{电,电力,供电,要素保障-电}', '要素保障', 80),
    ('element_gas', '用气', '{气,天然气,供气,要素保障-气}', '要素保障', 81),
    ('element_coal', '用煤', '{煤,煤炭,要素保障-煤}', '要素保障', 82),
    ('element_water', '用水', '{水,供水,要素保障-水}', '要素保障', 83),
    ('other', '其他', '{}', NULL, 999);

-- The categories were a CHECK of the baseline; now the table says.
ALTER TABLE problem DROP CONSTRAINT problem_category_check;
ALTER TABLE problem ADD CONSTRAINT problem_category_fkey FOREIGN KEY (category) REFERENCES problem_category (code);
CREATE INDEX problem_category_idx ON problem (category);

-- An item made from an approval milestone (milestone.kind 'approval')
-- follows it: item = title, planned_on = due_on, done with it
-- (keyproj_approval_from_milestone, sql/functions/triggers.sql). NULL for
-- items added by hand or imported. SET NULL: the item and its history stay
-- if the milestone goes.
ALTER TABLE approval ADD COLUMN milestone_id bigint NULL UNIQUE REFERENCES milestone ON DELETE SET NULL;

-- The approval milestones already in the ledger get their items now; from
-- here on the trigger milestone_feeds_approval (sql/functions/triggers.sql)
-- keeps them. An item of the same name already there is left as it is.
INSERT INTO approval (project_id, item, unit_id, planned_on, status, done_on, milestone_id)
SELECT DISTINCT ON (m.project_id, m.title)
       m.project_id, m.title, m.unit_id, m.due_on, m.status, m.done_on, m.id
  FROM milestone m
 WHERE m.kind = 'approval'
 ORDER BY m.project_id, m.title, m.id
ON CONFLICT (project_id, item) DO NOTHING;
