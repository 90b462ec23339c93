"""Staff pages for the catalogue. Every write that affects what listings
sort on (offers, sellers, reviews, images) goes through catalog.services, so
the product summaries and ratings stay current; every other save or delete
bumps the catalogue version, so no cached page keeps showing the old row."""

import csv
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog import recordings, reports, services
from catalog.cache import bump_version
from catalog.media import check_image
from catalog.models import (
    Attribute,
    AttributeChoice,
    Category,
    ClosedDay,
    Offer,
    OpeningHours,
    PriceChange,
    Product,
    ProductAttributeValue,
    ProductMedia,
    Review,
    Seller,
)
from catalog.templatetags.catalog_media import clock


class PercentForm(forms.Form):
    percent = forms.DecimalField(
        label=_("Change prices by (%)"), min_value=-90, max_value=500, max_digits=5, decimal_places=2,
        help_text=_("For example 10 raises every price by 10%, -5 lowers it by 5%. Prices are rounded to whole won."),
    )


def change_prices(modeladmin, request, queryset, offers):
    """The intermediate page of a "change prices" action: ask for a percent,
    then apply it to ``offers`` through the catalog service."""
    form = PercentForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        count = services.change_offer_prices(offers=offers, percent=form.cleaned_data["percent"], by=request.user)
        modeladmin.message_user(request, ngettext(
            "%(count)d price changed.", "%(count)d prices changed.", count) % {"count": count}, messages.SUCCESS)
        return None
    return TemplateResponse(request, "admin/catalog/change_prices.html", {
        **modeladmin.admin_site.each_context(request),
        "title": _("Change prices"), "opts": modeladmin.model._meta, "form": form, "queryset": queryset,
        "offer_count": offers.count(), "action": request.POST.get("action", ""),
        "select_across": request.POST.get("select_across", "0"),
    })


def _hold_back_price(offer: Offer, form) -> int:
    """The price the form asks for; the offer keeps its stored one, so that
    saving the form leaves the change to services.set_offer_prices."""
    price = offer.price
    if offer.pk and "price" in form.changed_data:
        offer.price = form.initial["price"]
    return price


def _report(modeladmin, request, count: int) -> None:
    modeladmin.message_user(request, ngettext(
        "%(count)d row updated.", "%(count)d rows updated.", count) % {"count": count}, messages.SUCCESS)


class CatalogueAdmin(admin.ModelAdmin):
    """A model whose rows catalogue pages show (names, descriptions, the
    category tree): a change through the admin makes cached pages stale."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bump_version()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        bump_version()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        bump_version()


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    extra = 0


@admin.register(Seller)
class SellerAdmin(CatalogueAdmin):
    inlines = [OpeningHoursInline, ClosedDayInline]
    list_display = ["name_ko", "name_en", "kind", "district", "rating", "rating_count", "is_active"]
    list_filter = ["kind", "is_active", "district"]
    search_fields = ["name_ko", "name_en", "slug", "address"]
    prepopulated_fields = {"slug": ["name_en"]}
    readonly_fields = ["rating", "rating_count"]
    filter_horizontal = ["staff"]
    actions = ["activate", "deactivate"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            # The box ticked on the seller's page counts as the actions do.
            services.set_sellers_active(sellers=Seller.objects.filter(pk=obj.pk), active=obj.is_active)

    @admin.action(description=_("Activate the selected sellers"))
    def activate(self, request, queryset):
        _report(self, request, services.set_sellers_active(sellers=queryset, active=True))

    @admin.action(description=_("Deactivate the selected sellers"))
    def deactivate(self, request, queryset):
        _report(self, request, services.set_sellers_active(sellers=queryset, active=False))


@admin.register(Category)
class CategoryAdmin(CatalogueAdmin):
    list_display = ["name_ko", "name_en", "parent", "position"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["name_ko", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    autocomplete_fields = ["parent"]


class AttributeChoiceInline(admin.TabularInline):
    model = AttributeChoice
    extra = 0


@admin.register(Attribute)
class AttributeAdmin(CatalogueAdmin):
    inlines = [AttributeChoiceInline]
    list_display = ["code", "name_ko", "name_en", "kind", "unit", "position"]
    list_filter = ["kind", ("categories", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name_ko", "name_en"]
    filter_horizontal = ["categories"]


class AttributeValueInline(admin.TabularInline):
    """A product's attribute values; the model's clean() checks each value's
    kind and that its attribute applies to the product's category."""

    model = ProductAttributeValue
    extra = 0
    fields = ["attribute", "number", "choice", "text"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "choice":
            kwargs["queryset"] = AttributeChoice.objects.select_related("attribute")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    autocomplete_fields = ["seller"]


class ProductMediaForm(forms.ModelForm):
    CHECKS = {ProductMedia.Kind.IMAGE: check_image, ProductMedia.Kind.AUDIO: recordings.check_voice,
              ProductMedia.Kind.VIDEO: recordings.check_video}

    captions_ko_file = forms.FileField(label=_("captions file, .vtt (Korean)"), required=False,
                                       help_text=_("Replaces the Korean captions typed above."))
    captions_en_file = forms.FileField(label=_("captions file, .vtt (English)"), required=False,
                                       help_text=_("Replaces the English captions typed above."))

    class Meta:
        model = ProductMedia
        fields = ["kind", "file", "caption_ko", "caption_en", "position", "transcript_ko", "transcript_en",
                  "captions_ko", "captions_ko_file", "captions_en", "captions_en_file"]
        widgets = {name: forms.Textarea(attrs={"rows": 3, "cols": 60})
                   for name in ("transcript_ko", "transcript_en", "captions_ko", "captions_en")}

    def clean(self):
        data = super().clean()
        if data.get("file") and data.get("kind") and {"file", "kind"} & set(self.changed_data):
            try:
                self.CHECKS[data["kind"]](data["file"])
            except ValidationError as error:
                self.add_error("file", error)
        for language in ("ko", "en"):
            upload, field = data.get(f"captions_{language}_file"), f"captions_{language}"
            try:
                text = recordings.read_webvtt(upload) if upload else data.get(field, "")
                data[field] = recordings.check_webvtt(text) if text.strip() else ""
            except ValidationError as error:
                self.add_error(f"captions_{language}_file" if upload else field, error)
        return data

    def save(self, commit=True):
        # The captions read from a file are in cleaned_data, not in the form's fields.
        self.instance.captions_ko = self.cleaned_data.get("captions_ko", "")
        self.instance.captions_en = self.cleaned_data.get("captions_en", "")
        return super().save(commit)


class ProductMediaInline(admin.StackedInline):
    model = ProductMedia
    form = ProductMediaForm
    extra = 0
    readonly_fields = ["state", "served"]

    @admin.display(description=_("state"))
    def state(self, media):
        if not media.pk:
            return "-"
        if media.status == ProductMedia.Status.FAILED:
            return f"{media.get_status_display()}: {media.failure}"
        return media.get_status_display()

    @admin.display(description=_("served as"))
    def served(self, media):
        parts = []
        if media.duration:
            parts.append(clock(media.duration))
        for rendition in media.renditions.get("files", ()):
            size = filesizeformat(rendition["bytes"])
            if "height" in rendition:
                parts.append(f"{rendition['width']}×{rendition['height']} {rendition['codec']}: {size}")
            else:
                parts.append(f"{rendition['codec']} {rendition['kbits']} kbit/s: {size}")
        return " · ".join(parts) or "-"


class CheckedImageForm(forms.ModelForm):
    """The admin's form for a model with an ``image``: an upload passes
    catalog.media's checks first (the admin names the model and fields)."""

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if isinstance(image, UploadedFile):
            check_image(image)
        return image


class StoredImageAdmin(admin.ModelAdmin):
    """For a model with an ``image`` and its ``thumbnails``: an upload is
    stored through catalog.services.store_image under ``image_folder``."""

    form = CheckedImageForm
    image_folder = ""

    def save_model(self, request, obj, form, change):
        if "image" not in form.changed_data:
            return super().save_model(request, obj, form, change)
        # The upload never lands in storage as sent: the service stores a
        # re-encoded copy with its thumbnails (or clears both).
        upload = form.cleaned_data["image"]
        obj.image = form.initial.get("image") or ""
        super().save_model(request, obj, form, change)
        services.store_image(row=obj, field="image", file=upload or None, folder=self.image_folder)


@admin.register(Product)
class ProductAdmin(StoredImageAdmin, CatalogueAdmin):
    image_folder = "products"
    list_display = ["name_ko", "name_en", "category", "best_price", "seller_count", "in_stock", "rating",
                    "is_featured", "is_active"]
    list_filter = ["is_active", "in_stock", "is_featured", "category"]
    search_fields = ["name_ko", "name_en", "slug"]
    list_select_related = ["category"]
    show_full_result_count = False
    prepopulated_fields = {"slug": ["name_en"]}
    autocomplete_fields = ["category"]
    readonly_fields = ["best_price", "seller_count", "in_stock", "rating", "rating_count", "units_sold",
                       "best_seller_score"]
    inlines = [AttributeValueInline, OfferInline, ProductMediaInline]
    actions = ["activate", "deactivate", "change_offer_prices"]

    def save_formset(self, request, form, formset, change):
        if formset.model is Offer:
            prices = {offer_form.instance.pk: _hold_back_price(offer_form.instance, offer_form)
                      for offer_form in formset.initial_forms if offer_form not in formset.deleted_forms}
            super().save_formset(request, form, formset, change)
            services.set_offer_prices(prices=prices, source=PriceChange.Source.ADMIN, by=request.user)
            return
        super().save_formset(request, form, formset, change)
        if formset.model is ProductMedia:
            for media_form in formset.forms:
                media = media_form.instance
                changed = {"file", "kind"} & set(media_form.changed_data)
                kept = media.pk and media not in formset.deleted_objects
                if kept and changed and media.kind == ProductMedia.Kind.IMAGE:
                    services.store_media_image(media=media, file=media.file)
                elif kept and changed:
                    services.store_recording(media=media, by=request.user)

    def save_related(self, request, form, formsets, change):
        # Offers edited inline change the best price and the seller count.
        super().save_related(request, form, formsets, change)
        services.refresh_product_summaries(product_ids=[form.instance.pk])

    @admin.action(description=_("Activate the selected products"))
    def activate(self, request, queryset):
        _report(self, request, services.set_products_active(products=queryset, active=True))

    @admin.action(description=_("Deactivate the selected products"))
    def deactivate(self, request, queryset):
        _report(self, request, services.set_products_active(products=queryset, active=False))

    @admin.action(description=_("Change the prices of every offer of the selected products"))
    def change_offer_prices(self, request, queryset):
        return change_prices(self, request, queryset, Offer.objects.filter(product__in=queryset))


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["product", "seller", "price", "stock", "is_active", "updated_at"]
    list_filter = ["is_active", "seller__kind", "seller"]
    search_fields = ["product__name_ko", "product__name_en", "product__slug", "seller__name_ko", "seller__name_en"]
    list_select_related = ["product", "seller"]
    show_full_result_count = False
    autocomplete_fields = ["product", "seller"]
    actions = ["activate", "deactivate", "change_prices"]

    def save_model(self, request, obj, form, change):
        price = _hold_back_price(obj, form)
        super().save_model(request, obj, form, change)
        # Also brings the product's summary up to date for the other fields.
        services.set_offer_prices(prices={obj.pk: price}, source=PriceChange.Source.ADMIN, by=request.user)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.refresh_product_summaries(product_ids=[obj.product_id])

    def delete_queryset(self, request, queryset):
        product_ids = sorted(set(queryset.values_list("product_id", flat=True)))
        super().delete_queryset(request, queryset)
        services.refresh_product_summaries(product_ids=product_ids)

    @admin.action(description=_("Activate the selected offers"))
    def activate(self, request, queryset):
        _report(self, request, services.set_offers_active(offers=queryset, active=True))

    @admin.action(description=_("Deactivate the selected offers"))
    def deactivate(self, request, queryset):
        _report(self, request, services.set_offers_active(offers=queryset, active=False))

    @admin.action(description=_("Change the prices of the selected offers"))
    def change_prices(self, request, queryset):
        return change_prices(self, request, queryset, queryset)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Staff read reviews and hide or show them; the text is the customer's
    and the flag changes only through the actions, which keep ratings right."""

    list_display = ["product", "seller", "author", "stars", "is_hidden", "created_at"]
    list_filter = ["is_hidden", "stars", ("seller", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["text", "product__name_ko", "product__name_en", "author__username", "purchase_key"]
    list_select_related = ["product", "seller", "author"]
    readonly_fields = ["product", "seller", "author", "purchase_key", "stars", "text", "is_hidden", "created_at"]
    date_hierarchy = "created_at"
    actions = ["hide", "show"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Hide the selected reviews"))
    def hide(self, request, queryset):
        _report(self, request, services.set_reviews_hidden(reviews=queryset, hidden=True))

    @admin.action(description=_("Show the selected reviews again"))
    def show(self, request, queryset):
        _report(self, request, services.set_reviews_hidden(reviews=queryset, hidden=False))


@admin.register(PriceChange)
class PriceChangeAdmin(admin.ModelAdmin):
    """The price history, read only: rows are written by
    services.set_offer_prices and a database trigger refuses any change."""

    list_display = ["changed_at", "offer", "old_price", "new_price", "by", "source"]
    list_filter = ["source", "changed_at", ("offer__seller", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["offer__product__name_ko", "offer__product__name_en", "offer__seller__name_ko",
                     "offer__seller__name_en", "by__username"]
    list_select_related = ["offer__product", "offer__seller", "by"]
    date_hierarchy = "changed_at"
    show_full_result_count = False
    change_list_template = "admin/catalog/pricechange_change_list.html"

    def get_urls(self):
        return [path("report/", self.admin_site.admin_view(self.report_view), name="catalog_pricechange_report"),
                *super().get_urls()]

    def report_view(self, request):
        """The bureau's view of competition over the last 30 days, as a page or as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        since = timezone.now() - timedelta(days=REPORT_DAYS)
        report = {"single": reports.single_seller_products(), "rises": reports.category_rises(since=since),
                  "cutters": reports.price_cutters(since=since)}
        if request.GET.get("format") == "csv":
            return _report_csv(**report)
        return TemplateResponse(request, "admin/catalog/price_report.html", {
            **self.admin_site.each_context(request), **report, "opts": self.opts, "days": REPORT_DAYS,
            "title": _("Competition report"),
        })

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


REPORT_DAYS = 30


def _report_csv(*, single, rises, cutters) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="competition.csv"'
    writer = csv.writer(response)
    # One table for the three lists; a column a list has nothing for stays empty.
    writer.writerow(["kind", "name", "slug", "seller", "best_price", "products", "products_rose", "cuts", "percent"])
    for product in single:
        writer.writerow(["single_seller", product.name_ko, product.slug, product.live_offers[0].seller.slug,
                         product.best_price, "", "", "", ""])
    for rise in rises:
        writer.writerow(["category_rise", rise.category.name_ko, rise.category.slug, "", "", rise.products, rise.rose,
                         "", rise.percent])
    for row in cutters:
        writer.writerow(["price_cuts", row.seller.name_ko, row.seller.slug, row.seller.slug, "", "", "", row.cuts,
                         row.percent])
    return response
