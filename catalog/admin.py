from django.contrib import admin

from catalog.models import Category, Offer, Product, ProductMedia, Seller


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    list_display = ["name_ko", "kind", "district", "rating", "is_active"]
    list_filter = ["kind", "is_active", "district"]
    search_fields = ["name_ko", "name_en", "slug", "address"]
    prepopulated_fields = {"slug": ["name_en"]}
    filter_horizontal = ["staff"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name_ko", "name_en", "parent", "position"]
    list_filter = ["parent"]
    search_fields = ["name_ko", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    autocomplete_fields = ["seller"]


class ProductMediaInline(admin.TabularInline):
    model = ProductMedia
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name_ko", "category", "best_price", "seller_count", "in_stock", "is_active"]
    list_filter = ["is_active", "in_stock", "is_featured", "category"]
    search_fields = ["name_ko", "name_en", "slug"]
    list_select_related = ["category"]
    prepopulated_fields = {"slug": ["name_en"]}
    readonly_fields = ["best_price", "seller_count", "in_stock", "rating", "rating_count", "units_sold"]
    inlines = [OfferInline, ProductMediaInline]
