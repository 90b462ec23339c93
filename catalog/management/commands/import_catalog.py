from argparse import RawDescriptionHelpFormatter

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from catalog.importing import COLUMNS, import_catalog, read_catalog_csv

HELP = """Create or update products and their offers from a UTF-8 CSV file with a
header row. One row per offer; a product sold by several sellers takes several
rows with the same product columns. Every row is checked first: if any row is
bad, each bad row is reported with its line number and nothing is written.

Columns:
""" + "\n".join(f"  {name:<15} {meaning}" for name, meaning in COLUMNS.items())


class HelpFormatter(DjangoHelpFormatter, RawDescriptionHelpFormatter):
    pass


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Keep the column list's line breaks in --help.
        return super().create_parser(prog_name, subcommand, formatter_class=HelpFormatter, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the CSV file")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                rows, bad = read_catalog_csv(handle)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        for row in bad:
            self.stderr.write(f"{file}: {row}")
        if bad:
            raise CommandError(f"{len(bad)} bad row(s); nothing was imported.")
        counts = import_catalog(rows=rows)
        self.stdout.write(self.style.SUCCESS(
            "Imported {offers} offer(s): products {products_created} created, {products_updated} updated; "
            "offers {offers_created} created, {offers_updated} updated.".format(offers=len(rows), **counts)
        ))
