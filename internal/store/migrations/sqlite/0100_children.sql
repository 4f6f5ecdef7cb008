-- The registry of children in special circumstances (Luật Trẻ em 2016,
-- Điều 10; Nghị định 56/2017/NĐ-CP) and the help they receive.
-- Dates are INTEGER yyyymmdd with 00 for unknown parts (a DOB known to the
-- month is 20160500, to the year 20160000; the zeros are its precision);
-- 0 means none. Times are BIGINT milliseconds. Names sort by name_key, a
-- Vietnamese collation key (vntext.NameSortKey), never by the database.

-- The registry's option lists, as data an administrator can change
-- (DESIGN principle 7): special-circumstance groups and their Nghị định 56
-- sub-groups, kinds of support, school statuses, disability types and
-- levels, at-risk flags, caregivers' relations. Codes are stable; labels
-- are shown in the reader's language.
CREATE TABLE child_options (
    list TEXT NOT NULL,        -- group, subgroup, support_kind, school_status, disability_type, disability_level, risk, relation
    code TEXT NOT NULL,
    parent TEXT NOT NULL DEFAULT '',   -- a sub-group's group letter
    position INTEGER NOT NULL,
    label_vi TEXT NOT NULL,
    label_en TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,  -- retired options stay for old records
    version INTEGER NOT NULL DEFAULT 1,    -- raised by every change
    updated_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (list, code)
);

CREATE TABLE children (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,                    -- full name, NFC, single spaces
    name_folded TEXT NOT NULL,             -- vntext.Fold(name): exact keys for duplicates
    name_key BLOB NOT NULL,                -- vntext.NameSortKey(name)
    dob_on INTEGER NOT NULL DEFAULT 0,
    dob_estimated BOOLEAN NOT NULL DEFAULT FALSE,
    sex TEXT NOT NULL DEFAULT '',          -- male, female, '' unknown
    ethnicity TEXT NOT NULL DEFAULT '',    -- 01..54 (ident.Ethnicities)
    pid TEXT NOT NULL DEFAULT '',          -- personal identification number, checked
    commune_code TEXT NOT NULL,            -- current commune (5 digits)
    province_code TEXT NOT NULL,           -- its province, for scoping
    old_commune_code TEXT NOT NULL DEFAULT '', -- the pre-July-2025 code as given, if any
    address TEXT NOT NULL DEFAULT '',
    phone BLOB,                            -- contact phone, sealed
    phone_hash BLOB,                       -- keyed hash of the normalised phone
    risks TEXT NOT NULL DEFAULT '',        -- at-risk flags (child_options 'risk'), comma-separated
    disability_type TEXT NOT NULL DEFAULT '',
    disability_level TEXT NOT NULL DEFAULT '',
    school_status TEXT NOT NULL DEFAULT '',
    insurance_card TEXT NOT NULL DEFAULT '', -- canonical form of any of the three forms
    notes BLOB,                            -- sealed
    groups_mask INTEGER NOT NULL DEFAULT 0, -- open groups, bit i = i-th of a,b,c,d,đ,e,g,h,i,k,l,m,n,o
    version INTEGER NOT NULL DEFAULT 1,    -- optimistic locking
    merged_into BIGINT REFERENCES children (id),
    source_fp BLOB,                        -- keyed fingerprint (8 bytes) of the import row it came from
    import_id BIGINT,                      -- the import (child_imports) that created it
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX children_scope ON children (province_code, commune_code, name_key, id);
CREATE INDEX children_name ON children (name_key, id);
CREATE INDEX children_updated ON children (updated_at);
CREATE INDEX children_folded ON children (name_folded, dob_on);
CREATE INDEX children_pid ON children (pid) WHERE pid <> '';
CREATE INDEX children_merged ON children (merged_into) WHERE merged_into IS NOT NULL;
CREATE UNIQUE INDEX children_source ON children (source_fp) WHERE source_fp IS NOT NULL;

-- Special-circumstance groups a child belongs or belonged to.
CREATE TABLE child_groups (
    id INTEGER PRIMARY KEY,
    child_id BIGINT NOT NULL REFERENCES children (id),
    origin_child_id BIGINT NOT NULL,       -- the child it was recorded on (differs after a merge)
    code TEXT NOT NULL,                    -- a..o, đ
    subgroup TEXT NOT NULL DEFAULT '',
    start_on INTEGER NOT NULL DEFAULT 0,
    end_on INTEGER NOT NULL DEFAULT 0,     -- 0: still in the group
    recorded_by BIGINT NOT NULL DEFAULT 0,
    recorded_by_name TEXT NOT NULL DEFAULT '',
    recorded_at BIGINT NOT NULL
);
CREATE INDEX child_groups_child ON child_groups (child_id, code);

CREATE TABLE child_caregivers (
    id INTEGER PRIMARY KEY,
    child_id BIGINT NOT NULL REFERENCES children (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    relation TEXT NOT NULL DEFAULT '',
    phone BLOB,                            -- sealed
    phone_hash BLOB
);
CREATE INDEX child_caregivers_child ON child_caregivers (child_id);

-- Every change to a child: who, when, which fields; the values before and
-- after are personal data and are sealed. A child made by an import has
-- no row of its own for that: children.import_id names the import.
CREATE TABLE child_history (
    id INTEGER PRIMARY KEY,
    child_id BIGINT NOT NULL REFERENCES children (id),
    version INTEGER NOT NULL,              -- the version the change made
    at BIGINT NOT NULL,
    by_id BIGINT NOT NULL DEFAULT 0,
    by_name TEXT NOT NULL,
    action TEXT NOT NULL,                  -- create, import, update, merge, merged, unmerge
    fields TEXT NOT NULL DEFAULT '',       -- field names, comma-separated
    changes BLOB                           -- sealed JSON {"field": [from, to]}
);
CREATE INDEX child_history_child ON child_history (child_id, id);

-- Help received.
CREATE TABLE supports (
    id INTEGER PRIMARY KEY,
    child_id BIGINT NOT NULL REFERENCES children (id),
    origin_child_id BIGINT NOT NULL,
    kind TEXT NOT NULL,                    -- child_options 'support_kind'
    given_on INTEGER NOT NULL,             -- yyyymmdd
    provider TEXT NOT NULL DEFAULT '',
    amount_vnd BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,                  -- planned, delivered, cancelled
    note BLOB,                             -- sealed
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL DEFAULT 0,
    created_by_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX supports_child ON supports (child_id, given_on);
CREATE INDEX supports_delivered ON supports (status, given_on, child_id);

-- Imports of spreadsheets, with their progress, so that any instance can
-- show it.
CREATE TABLE child_imports (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    file_hash BLOB NOT NULL,
    state TEXT NOT NULL,                   -- running, done, rejected, failed
    phase TEXT NOT NULL DEFAULT '',        -- reading, checking, writing
    total_rows INTEGER NOT NULL DEFAULT 0,
    processed INTEGER NOT NULL DEFAULT 0,
    imported INTEGER NOT NULL DEFAULT 0,
    existing INTEGER NOT NULL DEFAULT 0,   -- rows imported before (same fingerprint)
    duplicates INTEGER NOT NULL DEFAULT 0, -- rows that match a child already there
    invalid INTEGER NOT NULL DEFAULT 0,
    skip_invalid BOOLEAN NOT NULL DEFAULT FALSE,
    encoding TEXT NOT NULL DEFAULT '',
    report BLOB,                           -- sealed JSON: problems and duplicates
    rejects BLOB,                          -- sealed CSV of the rows not imported, with reasons
    by_id BIGINT NOT NULL DEFAULT 0,
    by_name TEXT NOT NULL DEFAULT '',
    unit_code TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX child_imports_by ON child_imports (by_id, id);

-- Seed of the option lists (labels from Luật Trẻ em 2016 Điều 10, Nghị định 56/2017/NĐ-CP,
-- Luật Người khuyết tật 2010 Điều 3). Administrators may change labels and add options.
INSERT INTO child_options (list, code, parent, position, label_vi, label_en) VALUES
    ('group', 'a', '', 1, 'Trẻ em mồ côi cả cha và mẹ', 'Orphaned of both parents'),
    ('group', 'b', '', 2, 'Trẻ em bị bỏ rơi', 'Abandoned'),
    ('group', 'c', '', 3, 'Trẻ em không nơi nương tựa', 'Without anyone to rely on'),
    ('group', 'd', '', 4, 'Trẻ em khuyết tật', 'With a disability'),
    ('group', 'đ', '', 5, 'Trẻ em nhiễm HIV/AIDS', 'Living with HIV/AIDS'),
    ('group', 'e', '', 6, 'Trẻ em vi phạm pháp luật', 'In conflict with the law'),
    ('group', 'g', '', 7, 'Trẻ em nghiện ma túy', 'Using drugs (addicted)'),
    ('group', 'h', '', 8, 'Trẻ em phải bỏ học kiếm sống chưa hoàn thành phổ cập giáo dục trung học cơ sở', 'Left school to earn a living before completing lower secondary education'),
    ('group', 'i', '', 9, 'Trẻ em bị tổn hại nghiêm trọng về thể chất và tinh thần do bị bạo lực', 'Seriously harmed in body and mind by violence'),
    ('group', 'k', '', 10, 'Trẻ em bị bóc lột', 'Exploited'),
    ('group', 'l', '', 11, 'Trẻ em bị xâm hại tình dục', 'Sexually abused'),
    ('group', 'm', '', 12, 'Trẻ em bị mua bán', 'Trafficked'),
    ('group', 'n', '', 13, 'Trẻ em mắc bệnh hiểm nghèo hoặc bệnh phải điều trị dài ngày thuộc hộ nghèo hoặc hộ cận nghèo', 'With a serious or long-term illness, in a poor or near-poor household'),
    ('group', 'o', '', 14, 'Trẻ em di cư, trẻ em lánh nạn, tị nạn chưa xác định được cha mẹ hoặc không có người chăm sóc', 'Migrant, displaced or refugee, parents unknown or without a carer'),
    ('subgroup', 'a1', 'a', 1, 'Mồ côi cả cha và mẹ, không có người chăm sóc', 'Orphaned of both parents, without a carer'),
    ('subgroup', 'a2', 'a', 2, 'Mồ côi cả cha và mẹ, được nuôi dưỡng trong cơ sở cung cấp dịch vụ bảo vệ trẻ em hoặc cơ sở trợ giúp xã hội', 'Orphaned of both parents, cared for in a child-protection or social-assistance facility'),
    ('subgroup', 'a3', 'a', 3, 'Mồ côi cả cha và mẹ, sống với người thân thích', 'Orphaned of both parents, living with relatives'),
    ('subgroup', 'a4', 'a', 4, 'Mồ côi cả cha và mẹ, được chăm sóc thay thế bởi cá nhân, gia đình không phải người thân thích (trừ nhận làm con nuôi)', 'Orphaned of both parents, in alternative care with non-relatives (not adopted)'),
    ('subgroup', 'b1', 'b', 1, 'Bị bỏ rơi, chưa được chăm sóc thay thế', 'Abandoned, not yet in alternative care'),
    ('subgroup', 'b2', 'b', 2, 'Bị bỏ rơi, được chăm sóc thay thế', 'Abandoned, in alternative care'),
    ('subgroup', 'c1', 'c', 1, 'Mồ côi cha hoặc mẹ, người còn lại mất tích theo quy định của pháp luật', 'One parent dead, the other declared missing'),
    ('subgroup', 'c2', 'c', 2, 'Mồ côi cha hoặc mẹ, người còn lại đang hưởng chế độ chăm sóc tại cơ sở trợ giúp xã hội hoặc không còn khả năng chăm sóc', 'One parent dead, the other in a social-assistance facility or unable to care'),
    ('subgroup', 'c3', 'c', 3, 'Mồ côi cha hoặc mẹ, người còn lại đang chấp hành án phạt tù hoặc ở cơ sở giáo dục bắt buộc, cơ sở cai nghiện bắt buộc', 'One parent dead, the other in prison or a compulsory education or rehabilitation centre'),
    ('subgroup', 'c4', 'c', 4, 'Cả cha và mẹ mất tích theo quy định của pháp luật', 'Both parents declared missing'),
    ('subgroup', 'c5', 'c', 5, 'Cha hoặc mẹ mất tích, người còn lại đang hưởng chế độ chăm sóc tại cơ sở trợ giúp xã hội hoặc đang chấp hành án phạt tù', 'One parent missing, the other in a social-assistance facility or in prison'),
    ('subgroup', 'c6', 'c', 6, 'Trường hợp khác theo Nghị định 56/2017/NĐ-CP', 'Another case under Nghị định 56/2017/NĐ-CP'),
    ('subgroup', 'k1', 'k', 1, 'Bị bắt lao động trái quy định của pháp luật về lao động', 'Made to work against labour law'),
    ('subgroup', 'k2', 'k', 2, 'Bị sử dụng để trình diễn hoặc sản xuất sản phẩm khiêu dâm', 'Used in pornographic performances or material'),
    ('subgroup', 'k3', 'k', 3, 'Bị xâm hại tình dục trong hoạt động du lịch', 'Sexually abused through travel and tourism'),
    ('subgroup', 'k4', 'k', 4, 'Bị cho, nhận hoặc cung cấp để hoạt động mại dâm', 'Given, taken or supplied for prostitution'),
    ('subgroup', 'k5', 'k', 5, 'Bị sử dụng để trục lợi dưới hình thức khác', 'Used for profit in another way'),
    ('subgroup', 'l1', 'l', 1, 'Bị hiếp dâm', 'Raped'),
    ('subgroup', 'l2', 'l', 2, 'Bị cưỡng dâm', 'Coerced into sexual intercourse'),
    ('subgroup', 'l3', 'l', 3, 'Bị giao cấu', 'Subjected to sexual intercourse (under 16)'),
    ('subgroup', 'l4', 'l', 4, 'Bị dâm ô', 'Sexually molested'),
    ('subgroup', 'l5', 'l', 5, 'Bị sử dụng vào mục đích mại dâm, khiêu dâm dưới mọi hình thức', 'Used for prostitution or pornography in any form'),
    ('support_kind', 'health_care', '', 1, 'Chăm sóc sức khỏe', 'Health care'),
    ('support_kind', 'education', '', 2, 'Hỗ trợ giáo dục', 'Education'),
    ('support_kind', 'social_allowance', '', 3, 'Trợ cấp xã hội hằng tháng', 'Monthly social allowance'),
    ('support_kind', 'legal_aid', '', 4, 'Trợ giúp pháp lý', 'Legal aid'),
    ('support_kind', 'psychological', '', 5, 'Hỗ trợ tâm lý', 'Psychological support'),
    ('support_kind', 'alternative_care', '', 6, 'Chăm sóc thay thế', 'Alternative care'),
    ('support_kind', 'shelter', '', 7, 'Nơi tạm trú an toàn', 'Safe shelter'),
    ('support_kind', 'childrens_fund', '', 8, 'Quỹ Bảo trợ trẻ em', 'Children''s fund'),
    ('support_kind', 'other', '', 9, 'Hỗ trợ khác', 'Other'),
    ('school_status', 'not_school_age', '', 1, 'Chưa đến tuổi đi học', 'Not yet of school age'),
    ('school_status', 'preschool', '', 2, 'Đang học mầm non', 'In pre-school'),
    ('school_status', 'in_school', '', 3, 'Đang đi học', 'In school'),
    ('school_status', 'dropped_out', '', 4, 'Đã bỏ học', 'Dropped out'),
    ('school_status', 'never_enrolled', '', 5, 'Chưa từng đi học', 'Never enrolled'),
    ('school_status', 'completed', '', 6, 'Đã tốt nghiệp trung học cơ sở', 'Completed lower secondary'),
    ('disability_type', 'mobility', '', 1, 'Khuyết tật vận động', 'Physical (mobility)'),
    ('disability_type', 'hearing_speech', '', 2, 'Khuyết tật nghe, nói', 'Hearing and speech'),
    ('disability_type', 'vision', '', 3, 'Khuyết tật nhìn', 'Vision'),
    ('disability_type', 'mental', '', 4, 'Khuyết tật thần kinh, tâm thần', 'Mental and psychosocial'),
    ('disability_type', 'intellectual', '', 5, 'Khuyết tật trí tuệ', 'Intellectual'),
    ('disability_type', 'other', '', 6, 'Khuyết tật khác', 'Other'),
    ('disability_level', 'very_severe', '', 1, 'Đặc biệt nặng', 'Very severe'),
    ('disability_level', 'severe', '', 2, 'Nặng', 'Severe'),
    ('disability_level', 'mild', '', 3, 'Nhẹ', 'Mild'),
    ('risk', 'bao_luc', '', 1, 'Nguy cơ bị bạo lực', 'At risk of violence'),
    ('risk', 'boc_lot', '', 2, 'Nguy cơ bị bóc lột, lao động trẻ em', 'At risk of exploitation or child labour'),
    ('risk', 'xam_hai_tinh_duc', '', 3, 'Nguy cơ bị xâm hại tình dục', 'At risk of sexual abuse'),
    ('risk', 'mua_ban', '', 4, 'Nguy cơ bị mua bán', 'At risk of trafficking'),
    ('risk', 'bo_roi', '', 5, 'Nguy cơ bị bỏ rơi, bỏ mặc', 'At risk of abandonment or neglect'),
    ('risk', 'bo_hoc', '', 6, 'Nguy cơ bỏ học', 'At risk of leaving school'),
    ('risk', 'tao_hon', '', 7, 'Nguy cơ tảo hôn', 'At risk of child marriage'),
    ('risk', 'khac', '', 8, 'Nguy cơ khác', 'Other risk'),
    ('relation', 'father', '', 1, 'Cha', 'Father'),
    ('relation', 'mother', '', 2, 'Mẹ', 'Mother'),
    ('relation', 'grandparent', '', 3, 'Ông, bà', 'Grandparent'),
    ('relation', 'sibling', '', 4, 'Anh, chị', 'Older sibling'),
    ('relation', 'relative', '', 5, 'Người thân thích khác', 'Other relative'),
    ('relation', 'guardian', '', 6, 'Người giám hộ', 'Guardian'),
    ('relation', 'foster', '', 7, 'Người chăm sóc thay thế', 'Foster carer'),
    ('relation', 'other', '', 8, 'Khác', 'Other');
