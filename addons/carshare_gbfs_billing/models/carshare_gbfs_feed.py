from odoo import fields, models
from odoo.exceptions import UserError


def hhmm(hour):
    minutes = round(hour * 60)
    return "%02d:%02d" % (minutes // 60, minutes % 60)


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class CarshareGbfsFeed(models.AbstractModel):
    _inherit = "carshare.gbfs.feed"

    def _tariff_version(self, community):
        """The tariff version of today, or an empty recordset."""
        tariff = community.sudo().tariff_id
        if not tariff:
            return self.env["carshare.tariff.version"]
        try:
            return tariff._version_at(fields.Datetime.now())
        except UserError:
            return self.env["carshare.tariff.version"]

    def _has_pricing_plans(self, community):
        return bool(self._tariff_version(community)) or super()._has_pricing_plans(community)

    def _pricing_plans(self, community, version):
        """What GBFS can say of the tariff: one plan at the standard prices, one per discount
        subscription. The base price is the booking fee, the per-minute rate the price per hour
        outside the time slots, the per-km rate the price per km beyond the kilometres included;
        the slots, the day rate, the monthly fees and the yearly insurance are in the plan's
        description (and the day rate as fare capping from 3.1)."""
        plans = super()._pricing_plans(community, version)
        tariff_version = self._tariff_version(community)
        if not tariff_version:
            return plans
        plans.append(self._gbfs_plan(community, version, tariff_version, "standard", None))
        subscriptions = tariff_version.tariff_id.plan_ids.filtered(
            lambda p: p.active and p.kind == "discount"
        )
        for subscription in subscriptions:
            plans.append(
                self._gbfs_plan(
                    community,
                    version,
                    tariff_version,
                    f"subscription-{subscription.id}",
                    subscription,
                )
            )
        return plans

    def _gbfs_plan(self, community, version, tariff_version, plan_id, subscription):
        tariff = tariff_version.tariff_id
        time_factor = 1 - (subscription.time_discount if subscription else 0) / 100
        km_factor = 1 - (subscription.km_discount if subscription else 0) / 100
        name = subscription.name if subscription else tariff.name
        plan = {
            "plan_id": plan_id,
            "name": self._text(community, name),
            "currency": tariff.currency_id.name,
            "price": round(tariff_version.booking_fee, 2),
            "is_taxable": not tariff.price_include_tax,
            "description": self._text(
                community, self._plan_description(tariff_version, subscription)
            ),
        }
        if tariff_version.hour_price:
            plan["per_min_pricing"] = [
                {
                    "start": 0,
                    "rate": round(tariff_version.hour_price * time_factor / 60, 4),
                    "interval": 1,
                }
            ]
        if tariff_version.km_price:
            plan["per_km_pricing"] = [
                {
                    "start": int(tariff_version.km_included),
                    "rate": round(tariff_version.km_price * km_factor, 4),
                    "interval": 1,
                }
            ]
        if version != "3.0" and tariff_version.day_price:
            plan["fare_capping"] = {
                "duration": 1440,
                "price": round(tariff_version.day_price * time_factor, 2),
            }
        return plan

    def _plan_description(self, tariff_version, subscription):
        tariff = tariff_version.tariff_id
        currency = tariff.currency_id.name
        time_factor = 1 - (subscription.time_discount if subscription else 0) / 100

        def money(amount):
            return "%.2f %s" % (amount, currency)

        sentences = [
            self.env._(
                "Booking fee %(fee)s, then %(hour)s per hour.",
                fee=money(tariff_version.booking_fee),
                hour=money(tariff_version.hour_price * time_factor),
            )
        ]
        for slot in tariff_version.slot_ids:
            days = ", ".join(
                slot._fields[day]._description_string(self.env) for day in WEEKDAYS if slot[day]
            )
            hours = "%s-%s" % (hhmm(slot.hour_from), hhmm(slot.hour_to))
            price = money(slot.hour_price * time_factor)
            sentences.append(
                self.env._(
                    "%(slot)s (%(days)s, %(hours)s): %(hour)s per hour.",
                    slot=slot.name,
                    days=days,
                    hours=hours,
                    hour=price,
                )
            )
        if tariff_version.day_price:
            day = money(tariff_version.day_price * time_factor)
            sentences.append(self.env._("Each 24 hours cost at most %(day)s.", day=day))
        if tariff_version.km_price:
            km = "%g" % tariff_version.km_included
            price = money(tariff_version.km_price)
            sentences.append(
                self.env._("%(km)s km included, then %(price)s per km.", km=km, price=price)
            )
        if tariff_version.monthly_fee:
            fee = money(tariff_version.monthly_fee)
            sentences.append(
                self.env._(
                    "Monthly management fee %(fee)s, charged only in a month with a booking.",
                    fee=fee,
                )
            )
        if subscription:
            fee = money(subscription.monthly_fee)
            sentences.append(self.env._("Subscription: %(fee)s per month.", fee=fee))
        else:
            for plan in tariff.plan_ids.filtered("active"):
                if plan.kind == "discount":
                    fee = money(plan.monthly_fee)
                    sentences.append(
                        self.env._(
                            "Subscription %(plan)s: %(fee)s per month.", plan=plan.name, fee=fee
                        )
                    )
                else:
                    fee = money(tariff_version.insurance_year_price)
                    sentences.append(
                        self.env._(
                            "Yearly insurance %(plan)s: %(fee)s per year, without excess.",
                            plan=plan.name,
                            fee=fee,
                        )
                    )
        if tariff.price_include_tax:
            sentences.append(self.env._("Prices include taxes."))
        else:
            sentences.append(self.env._("Taxes are added to the prices."))
        return " ".join(sentences)
