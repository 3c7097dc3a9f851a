-- Defect 2, the switch: [tool.codegen] not_null_array_elements = true declares elements non-null.
CREATE TABLE docs (
  id bigint PRIMARY KEY,
  tags text[] NOT NULL,
  grid integer[][],
  cube_ numeric(6, 2)[][][]
);
