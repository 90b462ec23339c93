from orders.cart import SESSION_CART_COUNT


def cart_summary(request):
    return {"cart_count": request.session.get(SESSION_CART_COUNT, 0)}
