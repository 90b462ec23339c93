from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notices', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notice',
            name='event',
            field=models.CharField(choices=[('order_paid', 'Order paid'), ('order_preparing', 'Order being prepared'), ('order_ready', 'Order ready'), ('out_for_delivery', 'Out for delivery'), ('delivered', 'Delivered'), ('delivery_failed', 'Delivery failed'), ('order_cancelled', 'Order cancelled'), ('refund_posted', 'Refund posted'), ('card_locked', 'Card locked'), ('hot_food_waiting', 'Hot food waiting for pickup'), ('password_reset', 'Password reset code'), ('back_in_stock', 'Back in stock')], max_length=30, verbose_name='event'),
        ),
        migrations.AlterField(
            model_name='smsmessage',
            name='event',
            field=models.CharField(choices=[('order_paid', 'Order paid'), ('order_preparing', 'Order being prepared'), ('order_ready', 'Order ready'), ('out_for_delivery', 'Out for delivery'), ('delivered', 'Delivered'), ('delivery_failed', 'Delivery failed'), ('order_cancelled', 'Order cancelled'), ('refund_posted', 'Refund posted'), ('card_locked', 'Card locked'), ('hot_food_waiting', 'Hot food waiting for pickup'), ('password_reset', 'Password reset code'), ('back_in_stock', 'Back in stock')], max_length=30, verbose_name='event'),
        ),
        migrations.AlterField(
            model_name='smsoptout',
            name='event',
            field=models.CharField(choices=[('order_paid', 'Order paid'), ('order_preparing', 'Order being prepared'), ('order_ready', 'Order ready'), ('out_for_delivery', 'Out for delivery'), ('delivered', 'Delivered'), ('delivery_failed', 'Delivery failed'), ('order_cancelled', 'Order cancelled'), ('refund_posted', 'Refund posted'), ('card_locked', 'Card locked'), ('hot_food_waiting', 'Hot food waiting for pickup'), ('password_reset', 'Password reset code'), ('back_in_stock', 'Back in stock')], max_length=30, verbose_name='event'),
        ),
    ]
