-- Editing and retiring from the app (issue 7). Retired items, recipes and menu items leave
-- lists and pickers but stay readable and keep their history (movements, recipe lines, sales
-- name them): `retired_at` is when, NULL while in use. Menu items and locations get a
-- version for If-Match, as items and recipes have.
ALTER TABLE items ADD COLUMN retired_at timestamptz;
ALTER TABLE recipes ADD COLUMN retired_at timestamptz;
ALTER TABLE menu_items ADD COLUMN retired_at timestamptz;
ALTER TABLE menu_items ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE locations ADD COLUMN version bigint NOT NULL DEFAULT 1;
