"""数据质量: for the data owners, the rows the cockpit leaves out of its figures or labels
未知, per table and kind of problem, with how many and which (their keys)."""

import pandas as pd
import streamlit as st

from components import cached, frame
from components import format as fmt
from data_access import data_quality as dq

frame.filters("pages/7_data_quality.py", "数据质量")
st.header("数据质量")
st.caption("共享数据库中由其他系统写入、未经导入检查的记录。驾驶舱的指标不计入会扭曲数字的记录"
           "（负数、晚于当前的时间、重复的流转记录、找不到问题的流转记录等），词表外的代码显示为"
           "“未知（代码）”。请数据责任单位按下列主键核对更正。")

problems = cached.call(dq.fetch_problems, frame.data_moment())
if problems.empty:
    st.success("未发现数据质量问题。", icon=":material/check_circle:")
    st.stop()

tables = problems.groupby("table_label", sort=False)["rows"].agg(["size", "sum"])
st.markdown(f"发现 **{fmt.count(len(problems))}** 类问题，涉及 **{fmt.count(len(tables))}** "
            f"张数据表、共 **{fmt.count(int(problems['rows'].sum()))}** 条次记录。")
summary = pd.DataFrame({"数据表": tables.index, "问题类数": tables["size"].to_numpy(),
                        "记录条次": tables["sum"].to_numpy()})
st.dataframe(summary, hide_index=True)

for label, rows in problems.groupby("table_label", sort=False):
    with st.expander(f"{label}（{rows['table'].iloc[0]}）· {fmt.count(int(rows['rows'].sum()))} 条次",
                     expanded=False):
        shown = pd.DataFrame({
            "问题": rows["problem"], "字段": rows["column"], "记录数": rows["rows"],
            f"主键（前{dq.LIST_LIMIT}条）": rows["keys"].map("、".join)})
        st.dataframe(shown, hide_index=True)
