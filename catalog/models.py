from functools import reduce
from operator import add

from django import forms
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.db.models.functions import Concat, Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog import search
from okryu.localized import pick
from okryu.transitions import StatusEvent, transition


def use_similarity_threshold(using: str, threshold: float) -> None:
    """Set the pg_trgm.word_similarity_threshold that the trigram indexes
    filter with (``%>``) on this connection. Every search sets its own value,
    so no request depends on what an earlier one left behind."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(threshold)])


class NamedQuerySet(models.QuerySet):
    def named(self, query: str, *, words: int, threshold: float):
        """Rows whose name is like one of the first ``words`` words of the
        normalised ``query`` (word similarity >= ``threshold``, which must not
        be below the session's threshold: the index filters at that one
        first), annotated with ``word_ranks`` (each word's similarity, in
        order), ``rank`` (their sum: a row named by more of the words ranks
        higher) and ``similarity`` (of the whole query to the whole name: of
        신발 and 신발·가방, 신발 names the first better)."""
        words = query.split()[:words]
        ranks = [TrigramWordSimilarity(models.Value(word), "search_text") for word in words]
        matches = models.Q()
        for word in words:
            matches |= models.Q(search_text__trigram_word_similar=word)
        return self.filter(matches).annotate(
            word_ranks=models.Func(*ranks, template="ARRAY[%(expressions)s]",
                                   output_field=ArrayField(models.FloatField())),
            best_word_rank=models.Func(*ranks, function="GREATEST", output_field=models.FloatField()),
            rank=reduce(add, ranks),
            similarity=TrigramSimilarity("search_text", query),
        ).filter(best_word_rank__gte=threshold)


class Searchable(models.Model):
    """A row the search finds by its names, normalised into ``search_text``
    by catalog.search.document. save() writes the search columns; code that
    bypasses it (bulk_create, update) must call fill_search_columns() itself."""

    # Sellers' and categories' names are looked up from the start of a word.
    COMPOUND_TAILS = False

    # The fields each search column is made from.
    SEARCH_SOURCES = {"search_text": ("name_ko", "name_en")}

    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.fill_search_columns()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *(
                column for column, sources in self.SEARCH_SOURCES.items() if set(sources) & set(update_fields)
            )}
        super().save(*args, **kwargs)

    def fill_search_columns(self) -> None:
        self.search_text = search.document(self.name_ko, self.name_en, compound_tails=self.COMPOUND_TAILS)


class Seller(Searchable):
    class Kind(models.TextChoices):
        STORE = "store", _("Store")
        FACTORY = "factory", _("Factory")
        RESTAURANT = "restaurant", _("Restaurant")
        LODGING = "lodging", _("Hotel or inn")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name_ko = models.CharField(_("name (Korean)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), unique=True)
    district = models.CharField(_("district"), max_length=60)
    address = models.CharField(_("address"), max_length=200)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="sellers/", blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    rating = models.DecimalField(_("rating"), max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(_("number of ratings"), default=0)
    # What the seller promises: from payment to goods ready for the courier.
    # The seller score counts the orders ready within it.
    preparation_minutes = models.PositiveSmallIntegerField(
        _("promised preparation time (minutes)"), default=60,
        help_text=_("From payment until the goods are ready for the courier; the seller score counts the orders "
                    "ready within it."),
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="sellers", verbose_name=_("staff")
    )

    objects = NamedQuerySet.as_manager()

    class Meta:
        ordering = ["name_ko"]
        verbose_name = _("seller")
        verbose_name_plural = _("sellers")
        indexes = [GinIndex(name="seller_search_trgm", fields=["search_text"], opclasses=["gin_trgm_ops"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalog:seller", args=[self.slug])

    @property
    def name(self):
        return pick(self, "name")

    @property
    def description(self):
        return pick(self, "description")


class OpeningHours(models.Model):
    """When a seller is open on one weekday (local time); a closing time at
    or before the opening time closes after midnight. A seller with no rows
    is always open; one with rows is closed on the weekdays it has none for."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("seller")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["seller", "weekday", "opens_at"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.UniqueConstraint(fields=["seller", "weekday", "opens_at"], name="openinghours_one_per_start"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="openinghours_weekday_0_to_6"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class ClosedDay(models.Model):
    """A date a seller stays shut whatever its weekday's hours (hours that
    began the evening before still run past midnight)."""

    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, related_name="closed_days", verbose_name=_("seller")
    )
    date = models.DateField(_("date"))

    class Meta:
        ordering = ["seller", "date"]
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        constraints = [models.UniqueConstraint(fields=["seller", "date"], name="closedday_once_per_date")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d}"


class SellerScore(models.Model):
    """What a seller did over the last days (``days``), as the periodic job
    (orders.tasks.refresh_seller_scores) last counted it: the seller's part of
    each paid order is one order here. Only aggregates: the public page shows
    all of it. ``score`` is None below the minimum number of orders ("new")."""

    seller = models.OneToOneField(Seller, on_delete=models.CASCADE, primary_key=True, related_name="score",
                                  verbose_name=_("seller"))
    days = models.PositiveSmallIntegerField(_("days counted"))
    orders = models.PositiveIntegerField(_("orders"), default=0)
    # Orders whose preparation time is known: ready, or still not ready past the promise.
    prepared = models.PositiveIntegerField(_("orders timed"), default=0)
    on_time = models.PositiveIntegerField(_("ready on time"), default=0)
    seller_failures = models.PositiveIntegerField(_("failed through the seller"), default=0)
    other_failures = models.PositiveIntegerField(_("failed through the courier or customer"), default=0)
    seller_cancellations = models.PositiveIntegerField(_("cancelled by the seller"), default=0)
    reviews = models.PositiveIntegerField(_("reviews"), default=0)
    review_stars = models.PositiveIntegerField(_("stars of the reviews"), default=0)
    rating = models.DecimalField(_("adjusted rating"), max_digits=3, decimal_places=2)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    computed_at = models.DateTimeField(_("counted at"))

    class Meta:
        ordering = ["seller__name_ko"]
        verbose_name = _("seller score")
        verbose_name_plural = _("seller scores")
        constraints = [
            models.CheckConstraint(condition=models.Q(on_time__lte=models.F("prepared")),
                                   name="sellerscore_on_time_at_most_timed"),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="sellerscore_at_most_100"),
        ]

    def __str__(self):
        return f"{self.seller}: {self.score if self.score is not None else '—'}"

    def get_absolute_url(self):
        return reverse("catalog:seller_score", args=[self.seller.slug])

    @property
    def is_new(self) -> bool:
        return self.score is None

    @property
    def late(self) -> int:
        return self.prepared - self.on_time


class CategoryQuerySet(NamedQuerySet):
    def within(self, category: "Category"):
        """``category`` and everything under it, however deep."""
        return self.filter(path__startswith=category.path)

    def ancestry(self, slug: str):
        """The category of ``slug`` and its ancestors (one query; sort by
        depth): the rows whose path begins that category's path."""
        return self.filter(models.Exists(Category.objects.filter(slug=slug, path__startswith=models.OuterRef("path"))))


class Category(Searchable):
    """A node of the category tree, of any depth. ``path`` is the ids from
    the root down to this one (``"1/5/9/"``), kept by save(): a tree's
    descendants are one prefix match (``within``) and its ancestors one
    query (``ancestry``), where following ``parent`` would take a join per
    level and a fixed depth. A materialized path rather than a recursive
    CTE: plain Django lookups, and the category tree changes rarely (a
    move rewrites the paths under it, in save())."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("parent"),
    )
    name_ko = models.CharField(_("name (Korean)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    path = models.CharField(_("tree path"), max_length=255, blank=True, default="", editable=False)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name_ko"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        indexes = [GinIndex(name="category_search_trgm", fields=["search_text"], opclasses=["gin_trgm_ops"]),
                   models.Index(fields=["path"], opclasses=["varchar_pattern_ops"], name="category_path_prefix")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            # The stored path, not this instance's copy: moving an ancestor
            # rewrote it meanwhile.
            self.path = (Category.objects.select_for_update().filter(pk=self.pk).values_list("path", flat=True)
                         .first() or "") if self.pk else ""
            old_path = self.path
            super().save(*args, **kwargs)
            parent_path = (Category.objects.filter(pk=self.parent_id).values_list("path", flat=True).get()
                           if self.parent_id else "")
            self.path = f"{parent_path}{self.pk}/"
            if self.path != old_path:
                # This row and, when it moved, every row under it.
                moved = Category.objects.filter(pk=self.pk)
                if old_path:
                    moved = Category.objects.filter(path__startswith=old_path)
                moved.update(path=Concat(models.Value(self.path), Substr("path", len(old_path) + 1)))

    def get_absolute_url(self):
        return reverse("catalog:category", args=[self.slug])

    def clean(self):
        # A parent in this category's own subtree (itself included) would make a loop.
        if self.pk and self.parent_id and Category.objects.filter(pk=self.parent_id,
                                                                  path__startswith=self.path).exists():
            raise ValidationError(
                {"parent": _("A category cannot be placed inside itself or one of its own subcategories.")},
                code="category_cycle",
            )

    @property
    def name(self):
        return pick(self, "name")


# The sort keys of product lists; each has an index (category, key, id) for
# category pages and (key, id) for search and seller pages, both limited to
# the rows lists show.
LISTED = models.Q(is_active=True, best_price__isnull=False)
SORT_KEYS = {"best_price": "price", "rating": "rating", "units_sold": "sold", "created_at": "new",
             "best_seller_score": "score"}


class ProductQuerySet(models.QuerySet):
    def listed(self):
        """Products a list shows: active, and offered by at least one live seller
        (a product nobody sells has no price to sort on)."""
        return self.filter(LISTED)

    def matching(self, query: str, *, threshold: float):
        """Products whose search document holds something like the normalised
        ``query`` (pg_trgm word similarity >= threshold), annotated with ``rank``.

        The GIN trigram index filters with the session's
        pg_trgm.word_similarity_threshold, so this sets it on the connection
        first.
        """
        use_similarity_threshold(self.db, threshold)
        return self.filter(search_text__trigram_word_similar=query).annotate(
            rank=TrigramWordSimilarity(models.Value(query), "search_text")
        )


class Product(Searchable):
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_ko = models.CharField(_("name (Korean)"), max_length=160)
    name_en = models.CharField(_("name (English)"), max_length=160, blank=True)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    image = models.ImageField(_("main image"), upload_to="products/", blank=True)
    # Written once by catalog.services when the image is stored; see catalog.media.
    thumbnails = models.JSONField(_("thumbnails"), default=dict, blank=True, editable=False)
    fresh_minutes = models.PositiveSmallIntegerField(
        _("stays fresh for (minutes)"), null=True, blank=True,
        help_text=_("For restaurant dishes: how long the dish may travel after it is ready."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_featured = models.BooleanField(_("featured"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Medicine rules, enforced by orders at the cart and at checkout.
    prescription_only = models.BooleanField(
        _("prescription only"), default=False,
        help_text=_("Sold only against a prescription number that a pharmacist approves."),
    )
    limit_units = models.PositiveSmallIntegerField(
        _("at most (units per customer)"), null=True, blank=True,
        help_text=_("With the days below: how many one customer may buy from all sellers together."),
    )
    limit_days = models.PositiveSmallIntegerField(_("within (days)"), null=True, blank=True)
    # When its watchers were last told it is back in stock (catalog.tasks).
    back_in_stock_told_at = models.DateTimeField(_("watchers told of a restock at"), null=True, blank=True,
                                                 editable=False)

    # Kept current by catalog.services from the offers, orders and reviews.
    best_price = models.PositiveIntegerField(_("best price"), null=True, blank=True)
    seller_count = models.PositiveSmallIntegerField(_("number of sellers"), default=0)
    in_stock = models.BooleanField(_("in stock"), default=False)
    rating = models.DecimalField(_("rating"), max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(_("number of ratings"), default=0)
    units_sold = models.PositiveIntegerField(_("units sold"), default=0)
    # The best score among its live offers' sellers, 0 when all are new
    # (catalog.scores): listings sort on it.
    best_seller_score = models.PositiveSmallIntegerField(_("best seller score"), default=0)
    # Beside search_text (Searchable): the whole names, for exact matches,
    # and the descriptions, searched at a lower weight.
    search_names = ArrayField(models.TextField(), verbose_name=_("search names"), default=list, blank=True,
                              editable=False)
    search_description = models.TextField(_("search description"), blank=True, default="", editable=False)

    COMPOUND_TAILS = True
    SEARCH_SOURCES = {
        **Searchable.SEARCH_SOURCES, "search_names": ("name_ko", "name_en"),
        "search_description": ("description_ko", "description_en"),
    }

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name_ko"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(limit_units__isnull=True, limit_days__isnull=True)
                | models.Q(limit_units__gte=1, limit_days__gte=1),
                name="product_limit_units_and_days_together",
            ),
        ]
        indexes = [
            GinIndex(name="product_search_trgm", fields=["search_text"], opclasses=["gin_trgm_ops"]),
            GinIndex(name="product_description_trgm", fields=["search_description"], opclasses=["gin_trgm_ops"]),
            *(
                models.Index(fields=[*prefix, key, "id"], condition=LISTED, name=f"product_{scope}_{short}")
                for key, short in SORT_KEYS.items()
                for prefix, scope in ((["category"], "cat"), ([], "all"))
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalog:product", args=[self.slug])

    def fill_search_columns(self) -> None:
        super().fill_search_columns()
        self.search_names = search.names(self.name_ko, self.name_en)
        self.search_description = search.description(self.description_ko, self.description_en)

    @property
    def name(self):
        return pick(self, "name")

    @property
    def description(self):
        return pick(self, "description")

    @property
    def is_hot_food(self):
        return self.fresh_minutes is not None

    @property
    def is_limited(self):
        return self.limit_units is not None


class Attribute(models.Model):
    """A typed property products of some categories carry: volume (ml) for
    cosmetics and drinks, size for shoes, spiciness for dishes, dosage form
    for medicine. It applies to the products of its ``categories`` and of
    every category under them; ``code`` names it in the URL (``?a.volume=50``).

    The values are rows (ProductAttributeValue), one typed column per kind,
    rather than a JSON document on the product: counting every facet of a
    listing is then one GROUP BY over indexed rows in plain Django (values()
    and Count(filter=...)), the database checks each value's type and its
    choice, and the admin edits them as an inline."""

    class Kind(models.TextChoices):
        NUMBER = "number", _("Number")
        CHOICE = "choice", _("Choice from a list")
        TEXT = "text", _("Text")

    categories = models.ManyToManyField(Category, related_name="attributes", verbose_name=_("categories"))
    code = models.SlugField(_("code"), max_length=40, unique=True,
                            help_text=_("Names the filter in addresses: ?a.<code>=<value>."))
    name_ko = models.CharField(_("name (Korean)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=20, blank=True, help_text=_("For numbers: ml, g, mm…"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")

    def __str__(self):
        return self.name

    @property
    def name(self):
        return pick(self, "name")

    def value_from_text(self, raw: str) -> dict:
        """The value columns of ProductAttributeValue for ``raw``: a number,
        one of this attribute's choice codes (from ``choices.all()``, which
        the caller may prefetch) or a text. ValidationError if it is not."""
        columns = {"number": None, "choice": None, "text": ""}
        if self.kind == self.Kind.NUMBER:
            columns["number"] = forms.DecimalField(max_digits=12, decimal_places=3).clean(raw)
        elif self.kind == self.Kind.CHOICE:
            columns["choice"] = next((choice for choice in self.choices.all() if choice.code == raw), None)
            if columns["choice"] is None:
                raise ValidationError(_("%(value)s is not one of the choices of %(attribute)s.") % {
                    "value": raw, "attribute": self.name}, code="unknown_choice")
        else:
            columns["text"] = forms.CharField(max_length=80).clean(raw)
        return columns


class AttributeChoice(models.Model):
    """One value a choice attribute may take (mild, medium, hot)."""

    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="choices",
                                  verbose_name=_("attribute"))
    code = models.SlugField(_("code"), max_length=40)
    label_ko = models.CharField(_("label (Korean)"), max_length=80)
    label_en = models.CharField(_("label (English)"), max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["attribute", "position", "code"]
        verbose_name = _("attribute choice")
        verbose_name_plural = _("attribute choices")
        constraints = [models.UniqueConstraint(fields=["attribute", "code"], name="attributechoice_code_once")]

    def __str__(self):
        return f"{self.attribute.name}: {self.label}"

    @property
    def label(self):
        return pick(self, "label")


class ProductAttributeValue(models.Model):
    """A product's value of one attribute, in the column of the attribute's
    kind; exactly one column is set (a constraint), and clean() checks it is
    the right one and that the attribute applies to the product's category."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="attribute_values",
                                verbose_name=_("product"))
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="values",
                                  verbose_name=_("attribute"))
    number = models.DecimalField(_("number"), max_digits=12, decimal_places=3, null=True, blank=True)
    choice = models.ForeignKey(AttributeChoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("choice"))
    text = models.CharField(_("text"), max_length=80, blank=True)

    class Meta:
        ordering = ["attribute__position", "attribute__code"]
        verbose_name = _("attribute value")
        verbose_name_plural = _("attribute values")
        constraints = [
            models.UniqueConstraint(fields=["product", "attribute"], name="productattributevalue_once"),
            models.CheckConstraint(
                condition=models.Q(number__isnull=False, choice__isnull=True, text="")
                | models.Q(number__isnull=True, choice__isnull=False, text="")
                | (models.Q(number__isnull=True, choice__isnull=True) & ~models.Q(text="")),
                name="productattributevalue_one_column",
            ),
        ]
        # Facet filters look values up by attribute and value.
        indexes = [models.Index(fields=["attribute", "number"], name="attributevalue_number"),
                   models.Index(fields=["attribute", "choice"], name="attributevalue_choice"),
                   models.Index(fields=["attribute", "text"], name="attributevalue_text")]

    def __str__(self):
        return f"{self.attribute}: {self.display}"

    def clean(self):
        attribute = self.attribute if self.attribute_id else None
        if attribute is None:
            return
        column = {Attribute.Kind.NUMBER: "number", Attribute.Kind.CHOICE: "choice", Attribute.Kind.TEXT: "text"}
        wanted = column[attribute.kind]
        given = {"number": self.number is not None, "choice": self.choice_id is not None, "text": bool(self.text)}
        if not given[wanted] or any(set_ for name, set_ in given.items() if name != wanted):
            raise ValidationError({wanted: _("%(attribute)s takes a value of this kind only: %(kind)s.") % {
                "attribute": attribute.name, "kind": attribute.get_kind_display()}}, code="attribute_kind")
        if self.choice_id and self.choice.attribute_id != attribute.pk:
            raise ValidationError({"choice": _("This choice belongs to another attribute.")}, code="choice_attribute")
        try:
            category = self.product.category  # an admin inline's product may be unsaved yet
        except (Product.DoesNotExist, Category.DoesNotExist):
            return
        if not attribute.categories.filter(
            models.Exists(Category.objects.filter(pk=category.pk, path__startswith=models.OuterRef("path")))
        ).exists():
            raise ValidationError({"attribute": _("%(attribute)s does not apply to products in %(category)s.") % {
                "attribute": attribute.name, "category": category.name}}, code="attribute_category")

    @property
    def display(self) -> str:
        """The value as a page shows it: 50 ml, 매운맛, 230–280."""
        if self.choice_id:
            return self.choice.label
        if self.number is not None:
            return " ".join(filter(None, (format_number(self.number), self.attribute.unit)))
        return self.text


def format_number(number) -> str:
    """A Decimal without trailing zeros or an exponent: 50, 0.5."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class Offer(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="offers", verbose_name=_("product")
    )
    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, related_name="offers", verbose_name=_("seller")
    )
    price = models.PositiveIntegerField(_("price (won)"))
    stock = models.IntegerField(_("stock"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["price", "id"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.UniqueConstraint(fields=["product", "seller"], name="offer_one_per_product_seller"),
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="offer_stock_not_negative"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="offer_price_positive"),
        ]
        # A seller's page sorts that seller's offers by price.
        indexes = [models.Index(fields=["seller", "price", "id"], condition=models.Q(is_active=True),
                                name="offer_seller_price")]

    def __str__(self):
        return f"{self.product} — {self.seller}"

    @property
    def is_available(self):
        return self.is_active and self.stock > 0 and self.seller.is_active


class WishItem(models.Model):
    """A product on a customer's wish list; ``watching``: tell them when it
    is back in stock (catalog.tasks.tell_watchers)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wish_items", verbose_name=_("customer")
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="wish_items", verbose_name=_("product")
    )
    watching = models.BooleanField(_("tell when back in stock"), default=False)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-id"]
        verbose_name = _("wish list item")
        verbose_name_plural = _("wish list items")
        constraints = [models.UniqueConstraint(fields=["user", "product"], name="wishitem_once_per_product")]
        indexes = [models.Index(fields=["product"], condition=models.Q(watching=True), name="wishitem_watchers")]

    def __str__(self):
        return f"{self.user} ♥ {self.product}"


class ProductMedia(models.Model):
    """A picture, voice recording or video in a product's gallery. Voice and
    video are served only as the renditions the transcoding job writes
    (``renditions``, see catalog.recordings); ``status`` says how far it is."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Voice recording")
        VIDEO = "video", _("Video")

    class Status(models.TextChoices):
        PROCESSING = "processing", _("Being transcoded")
        READY = "ready", _("Ready to play")
        FAILED = "failed", _("Transcoding failed")

    # A new original starts over from any state (start_processing).
    TRANSITIONS = {Status.PROCESSING: {Status.READY, Status.FAILED}}

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="media", verbose_name=_("product")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.IMAGE)
    file = models.FileField(_("file"), upload_to="products/")
    thumbnails = models.JSONField(_("thumbnails"), default=dict, blank=True, editable=False)
    caption_ko = models.CharField(_("caption / alt text (Korean)"), max_length=200, blank=True)
    caption_en = models.CharField(_("caption / alt text (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.READY,
                              editable=False)
    failure = models.CharField(_("why it failed"), max_length=300, blank=True, editable=False)
    duration = models.FloatField(_("duration (seconds)"), null=True, blank=True, editable=False)
    renditions = models.JSONField(_("renditions"), default=dict, blank=True, editable=False)
    transcript_ko = models.TextField(_("transcript (Korean)"), blank=True)
    transcript_en = models.TextField(_("transcript (English)"), blank=True)
    captions_ko = models.TextField(_("captions, WebVTT (Korean)"), blank=True)
    captions_en = models.TextField(_("captions, WebVTT (English)"), blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("product media")
        verbose_name_plural = _("product media")

    def __str__(self):
        return f"{self.product} #{self.position}"

    @property
    def caption(self):
        return pick(self, "caption")

    @property
    def transcript(self):
        return pick(self, "transcript")

    @property
    def is_playable(self) -> bool:
        return self.status == self.Status.READY and bool(self.renditions.get("files"))

    def start_processing(self, *, by=None) -> "ProductMedia":
        """A new original: forget the old renditions and wait for the job."""
        return transition(self, self.Status.PROCESSING, sources=self.Status.values, by=by,
                          fields={"renditions": {}, "duration": None, "failure": ""})

    def mark_ready(self, *, original: str, renditions: dict) -> "ProductMedia":
        """Record the job's renditions of ``original``; InvalidTransition when
        the row has another original by now or is no longer processing."""
        return transition(self, self.Status.READY, check=lambda row: row.file.name == original,
                          fields={"renditions": renditions, "duration": renditions.get("duration")})

    def mark_failed(self, *, original: str, reason: str) -> "ProductMedia":
        """The job could not transcode ``original``; the page leaves it out."""
        return transition(self, self.Status.FAILED, check=lambda row: row.file.name == original,
                          fields={"failure": reason[:300]}, note=reason)


class ProductMediaEvent(StatusEvent):
    media = models.ForeignKey(ProductMedia, on_delete=models.CASCADE, related_name="events",
                              verbose_name=_("product media"))
    from_status = models.CharField(_("from"), max_length=20, blank=True, choices=ProductMedia.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=ProductMedia.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("product media event")
        verbose_name_plural = _("product media events")


class Review(models.Model):
    """A customer's stars and words on one delivered purchase. Catalog does
    not know orders: the caller names the purchase with ``purchase_key``."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("product")
    )
    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("seller")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("author")
    )
    purchase_key = models.CharField(_("purchase"), max_length=64, unique=True)
    stars = models.PositiveSmallIntegerField(_("stars"))
    text = models.TextField(_("text"), max_length=2000, blank=True)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.CheckConstraint(condition=models.Q(stars__gte=1, stars__lte=5), name="review_stars_1_to_5"),
        ]
        indexes = [models.Index(fields=["product", "-created_at"], name="review_product_recent")]

    def __str__(self):
        return f"{self.product} ★{self.stars}"


class PriceChange(models.Model):
    """One change of an offer's price: who, when, from and to. Rows are only
    inserted, by catalog.services.set_offer_prices; a database trigger
    refuses to update or delete them (migration 0005)."""

    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin form")
        BULK = "bulk", _("Bulk change")
        IMPORT = "import", _("Catalogue import")
        DEMO = "demo", _("Demo data")

    # PROTECT: an offer with a price history is switched off, not deleted.
    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, related_name="price_changes", verbose_name=_("offer")
    )
    old_price = models.PositiveIntegerField(_("old price (won)"))
    new_price = models.PositiveIntegerField(_("new price (won)"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("changed by"),
    )
    source = models.CharField(_("changed through"), max_length=10, choices=Source.choices)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")
        constraints = [
            models.CheckConstraint(condition=~models.Q(old_price=models.F("new_price")),
                                   name="pricechange_changes_the_price"),
        ]
        indexes = [models.Index(fields=["offer", "changed_at"], name="pricechange_offer_time"),
                   models.Index(fields=["changed_at"], name="pricechange_time")]

    def __str__(self):
        return f"{self.offer}: {self.old_price} → {self.new_price}"


class Standing(Offer):
    """An offer as its seller sees it against the other sellers of the same
    product; the seller's own view in the admin (orders.admin) lists these."""

    class Meta:
        proxy = True
        verbose_name = _("standing against other sellers")
        verbose_name_plural = _("standings against other sellers")
