from procrastinate.contrib.django import app

from delivery import services


# The queueing lock keeps one run waiting at most, however long one takes.
@app.periodic(cron="* * * * *", periodic_id="hot_food_waiting")
@app.task(queueing_lock="warn_about_waiting_hot_food")
def warn_about_waiting_hot_food(timestamp: int) -> None:
    services.warn_about_waiting_hot_food()
