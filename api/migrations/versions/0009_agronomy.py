"""Agronomy: uploaded multispectral images and fertiliser prescriptions.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "agronomy_image",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sensor", sa.String(length=100), nullable=False),
        sa.Column("sensor_note", sa.String(length=1000), nullable=False),
        sa.Column("image_date", sa.Date(), nullable=True),
        sa.Column("crs", sa.Text(), nullable=False),
        sa.Column("width_px", sa.Integer(), nullable=False),
        sa.Column("height_px", sa.Integer(), nullable=False),
        sa.Column("pixel_size", sa.Float(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("bands", sa.JSON(), nullable=False),
        sa.Column("band_map", sa.JSON(), nullable=False),
        sa.Column("scale", sa.Float(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        _utc("created_at"),
        sa.CheckConstraint("min_lon <= max_lon AND min_lat <= max_lat", name="agronomy_image_bbox"),
        sa.CheckConstraint(
            "width_px > 0 AND height_px > 0 AND size_bytes >= 0", name="agronomy_image_size"
        ),
        sa.CheckConstraint("scale IS NULL OR scale > 0", name="agronomy_image_scale"),
    )
    op.create_index("ix_agronomy_image_owner", "agronomy_image", ["owner"])

    op.create_table(
        "prescription",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("field_id", sa.String(length=200), nullable=False),
        sa.Column("image_id", sa.String(length=36), nullable=True),
        sa.Column("image_date", sa.Date(), nullable=True),
        sa.Column("index", sa.String(length=20), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("product_spec", sa.JSON(), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("rate_step", sa.Float(), nullable=False),
        sa.Column("zones", sa.Text(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("total_n_kg", sa.Float(), nullable=False),
        sa.Column("total_product", sa.Float(), nullable=False),
        sa.Column("budget_bound", sa.Boolean(), nullable=False),
        _utc("created_at"),
        sa.CheckConstraint(
            "area_m2 > 0 AND total_n_kg >= 0 AND total_product >= 0 AND rate_step > 0",
            name="prescription_figures",
        ),
        sa.CheckConstraint("unit IN ('kg/ha', 'L/ha')", name="prescription_unit"),
        sa.ForeignKeyConstraint(["image_id"], ["agronomy_image.id"], ondelete="SET NULL"),
    )
    op.create_index("ix_prescription_owner", "prescription", ["owner"])
    op.create_index("ix_prescription_field_id", "prescription", ["field_id"])


def downgrade() -> None:
    op.drop_index("ix_prescription_field_id", table_name="prescription")
    op.drop_index("ix_prescription_owner", table_name="prescription")
    op.drop_table("prescription")
    op.drop_index("ix_agronomy_image_owner", table_name="agronomy_image")
    op.drop_table("agronomy_image")
