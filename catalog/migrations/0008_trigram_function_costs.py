"""pg_trgm declares its similarity functions as cheap as an addition (COST 1),
so the planner preferred reading all 100,000 products and comparing each
(12.7 s for a search for 김치 on a busy machine) to the trigram indexes
(0.46 s). Costing them as the expensive calls they are makes the planner
take the indexes. Only the functions' owner may change them: a database
user who is not (a managed server) gets a notice, and the DBA can run the
same statements (bench/README.md, "Search")."""

from django.db import migrations

FUNCTIONS = ("similarity", "similarity_op", "word_similarity", "word_similarity_op", "word_similarity_commutator_op")


def _set_costs(cost: int) -> str:
    statements = " ".join(f"ALTER FUNCTION {name}(text, text) COST {cost};" for name in FUNCTIONS)
    return f"""DO $$ BEGIN {statements}
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'pg_trgm function costs left as they are: only their owner may change them';
    END $$;"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_catalogue_manager_group")]

    operations = [migrations.RunSQL(_set_costs(200), _set_costs(1))]
